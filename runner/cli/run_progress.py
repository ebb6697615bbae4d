"""The live per-node lines of ``run`` (status, elapsed time, last metric): redrawn in place
on a terminal, status-change lines otherwise, then the final table."""

from __future__ import annotations

import time
from typing import IO, Any

from runner.events import (
    DebuggerListening,
    LogLine,
    MetadataRecord,
    NodeStateChanged,
    RunStarted,
    TaskProgress,
)
from runner.execution.naming import unit_name


def _status_text(info: dict[str, Any]) -> str:
    """A task node shows its executions: ``running 3/6 (2 ok, 0 failed)`` (started/total)."""
    task = info.get("task")
    if task is None:
        return str(info["status"])
    started = task.running + task.succeeded + task.failed
    return f"{info['status']} {started}/{task.total} ({task.succeeded} ok, {task.failed} failed)"


class Progress:
    """Live per-node lines; redrawn in place on a TTY, appended otherwise."""

    def __init__(self, out: IO[str], show_logs: bool = False) -> None:
        self.out = out
        self.tty = out.isatty()
        self.show_logs = show_logs
        self.nodes: dict[str, dict[str, Any]] = {}
        self._drawn = 0
        self._last_draw = 0.0

    def handle(self, event: object) -> None:
        if isinstance(event, RunStarted):
            for node in event.nodes:
                self.nodes[node] = {"status": "pending", "start": None, "end": None, "metric": ""}
            count = len(event.nodes)
            print(f"run {event.run_id}: {count} node{'' if count == 1 else 's'}", file=self.out)
        elif isinstance(event, NodeStateChanged) and event.child is not None:  # a task's execution
            if not self.tty and event.status not in ("pending", "running"):
                extra = f" ({event.message})" if event.message else ""
                print(f"  {unit_name(event.node, event.child)}: {event.status}{extra}", file=self.out)
        elif isinstance(event, TaskProgress):
            if event.node in self.nodes:
                self.nodes[event.node]["task"] = event
        elif isinstance(event, NodeStateChanged):
            info = self.nodes.setdefault(event.node, {"status": "", "start": None, "end": None, "metric": ""})
            info["status"] = event.status
            if event.status == "running":
                info["start"] = event.time
            elif event.status not in ("pending",):
                info["end"] = event.time
                info["message"] = event.message
            if not self.tty and event.status != "pending":
                extra = f" ({event.message})" if event.message else ""
                print(f"  {event.node}: {event.status}{extra}", file=self.out)
        elif isinstance(event, DebuggerListening):  # one line a script (or a test) can wait for
            self._clear()
            where = f" ({event.node}: {event.script})" if event.script else f" ({event.node})"
            what = "debugger listening on"
            if event.debugger == "pycharm":  # the node connects to PyCharm's debug server
                what = "waiting for PyCharm's debug server on"
            print(f"{what} {event.host}:{event.port}{where}", file=self.out, flush=True)
        elif isinstance(event, MetadataRecord):
            items = [f"{k}={v}" for k, v in event.record.items() if k != "_time"]
            if event.node in self.nodes:
                self.nodes[event.node]["metric"] = " ".join(items)[:60]
        elif isinstance(event, LogLine) and (
            self.show_logs
            or (event.stream == "runner" and event.text.startswith(("error", "warning", "waiting for a GPU")))
        ):
            self._clear()
            print(f"  [{event.node} {event.stream}] {event.text}", file=self.out)
        self.tick()

    def _lines(self) -> list[str]:
        now = time.time()
        width = max((len(n) for n in self.nodes), default=4)
        lines = []
        for node, info in self.nodes.items():
            start, end = info["start"], info["end"]
            elapsed = f"{(end or now) - start:6.1f}s" if start else "      -"
            lines.append(f"  {node:<{width}}  {_status_text(info):<10} {elapsed}  {info['metric']}")
        return lines

    def stop_note(self, status: str) -> str:
        """For a stopped run: " (stopped by action of node X: <condition>)"."""
        if status != "stopped":
            return ""
        for info in self.nodes.values():
            message = str(info.get("message") or "")
            if message.startswith("pipeline stopped by action"):
                return f" ({message.removeprefix('pipeline ')})"
        return ""

    def pause(self) -> None:
        """Clear the live lines (a question is about to be asked on the terminal)."""
        self._clear()
        self.out.flush()

    def _clear(self) -> None:
        if self.tty and self._drawn:
            self.out.write(f"\x1b[{self._drawn}F\x1b[J")
            self._drawn = 0

    def tick(self) -> None:
        if not self.tty or time.monotonic() - self._last_draw < 0.2:
            return
        self._last_draw = time.monotonic()
        self._clear()
        lines = self._lines()
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()
        self._drawn = len(lines)

    def final(self) -> None:
        self._clear()
        print("\n".join(self._lines()), file=self.out)
        for node, info in self.nodes.items():
            if info.get("message") and info["status"] not in ("succeeded", "reused"):
                print(f"  {node}: {info['message']}", file=self.out)
