"""``pipeline-designer run FILE (--pipeline NAME | --step NAME) [...]``: run on the local engine.

Prints one line per node (status, elapsed time, last metric), redrawn in place on a terminal
and as status-change lines otherwise, then the final table. Exit code 0 only when every
node succeeded (or was reused), or a stop-pipeline action stopped the run; 1 when a node
failed (or an error-pipeline action fired, or an approval was refused); 2 for usage/config
errors; 130 when cancelled with Ctrl-C, 143 with SIGTERM, 129 with SIGHUP (each cancels the
run as Ctrl-C does: its containers stopped, the run recorded ``cancelled``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import sys
import time
from typing import IO, Any

from runner.cli.debug_args import add_debug_arguments, chosen_debug_nodes, pycharm_target
from runner.cli.signals import EXIT_BROKEN_PIPE, Stopped, silence, stop_signals
from runner.deploy.serve import add_serve_arguments, serve_endpoints
from runner.events import (
    ApprovalRequested,
    DebuggerListening,
    LogLine,
    MetadataRecord,
    NodeStateChanged,
    RunFinished,
    RunStarted,
    TaskProgress,
)
from runner.execution.naming import unit_name

STATUS_EXIT = {"succeeded": 0, "stopped": 0, "failed": 1, "cancelled": 130}
EXIT_CODES = (
    "exit status: 0 when every node succeeded or a stop-pipeline action stopped the run; "
    "1 when a node failed, an error-pipeline action fired or an approval was refused; "
    "2 for usage errors or a config with lint errors (nothing is started); 130 when cancelled "
    "(Ctrl-C), 143 (SIGTERM), 129 (SIGHUP)"
)


def add_engine_arguments(p: argparse.ArgumentParser) -> None:
    """How containers are made: image map, backend, network, pull (shared by run and watch)."""
    p.add_argument(
        "--image-map",
        action="append",
        default=[],
        metavar="FROM=TO",
        help="run image TO where the YAML says FROM (over the saved settings' image map and "
        "env PIPELINE_DESIGNER_IMAGE_MAP; see `pipeline-designer settings`)",
    )
    p.add_argument(
        "--backend",
        choices=("docker", "docker-archive", "local"),
        default="docker",
        help="docker: bind mounts (default); docker-archive: put/get archive; "
        "local: subprocess, NOT isolated",
    )
    p.add_argument(
        "--network",
        default=None,
        help="container network; 'none' for no network (default: the saved settings', else the engine's)",
    )
    p.add_argument(
        "--pull",
        choices=("missing", "never"),
        default="missing",
        help="pull images that are not on the engine (default) or never",
    )


def engine_options(args: argparse.Namespace) -> tuple[dict[str, str], str | None]:
    """The image map and network of a run: the saved settings (the designer's Preferences), then
    env PIPELINE_DESIGNER_IMAGE_MAP, then the flags; a later one wins. Raises ValueError."""
    from runner.api import image_map_from_env, load_settings, parse_image_map

    settings = load_settings()
    image_map = {**settings.image_map, **image_map_from_env(), **parse_image_map(args.image_map)}
    return image_map, args.network if args.network is not None else settings.network


def start_error(exc: BaseException, command: str, local: bool) -> str:
    """Why a run could not start, translated when the engine said something we know."""
    from runner.api import describe_engine_error

    text = describe_engine_error(exc) if local else str(exc)
    return f"pipeline-designer {command}: error: cannot start: {text}"


def add_approval_arguments(p: argparse.ArgumentParser, otherwise: str) -> None:
    """--approve NODE / --approve-all: require-approval actions answered in advance."""
    p.add_argument(
        "--approve",
        action="append",
        default=[],
        metavar="NODE",
        help="approve NODE's require-approval actions in advance (repeatable); "
        f"otherwise they are {otherwise}",
    )
    p.add_argument("--approve-all", action="store_true", help="approve every require-approval action")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "run",
        help="run a pipeline or a single step on the local Docker engine",
        description="Run a pipeline (--pipeline) or one execution of a step (--step).",
        epilog=EXIT_CODES,
    )
    p.add_argument("file", help="the valohai.yaml")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--pipeline", "-p", help="pipeline to run")
    what.add_argument("--step", "-s", help="step to run as a single execution")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="[NODE.]PARAM=VALUE",
        help="parameter value (NODE.PARAM for pipelines; a pipeline parameter name also works); "
        "a list [a, b] into a task node runs one execution per item",
    )
    p.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="NAME=PATH_OR_URL",
        help="input source for --step (repeat for several files)",
    )
    p.add_argument(
        "--concurrency",
        "-j",
        type=int,
        default=None,
        help="nodes run in parallel (default: CPU count; with --host, the hosts' max-parallel sum)",
    )
    p.add_argument(
        "--host",
        default=None,
        metavar="local|NAME|NAME1,NAME2",
        help="where nodes run: the local engine, a registered host, or a pool of them "
        "(see `pipeline-designer hosts`); GPU steps go to hosts with free GPUs "
        "(default: the saved settings' run target, else local)",
    )
    p.add_argument("--no-reuse", action="store_true", help="run every node even if unchanged")
    p.add_argument("--strict", action="store_true", help="join the step commands with && (stop at a failure)")
    add_engine_arguments(p)
    p.add_argument("--logs", action="store_true", help="print every log line as it arrives")
    add_debug_arguments(p)  # --debug [NODE], --capture-locals
    add_approval_arguments(p, "asked on the terminal, or fail the node when not interactive")
    add_serve_arguments(p)  # --no-serve (deployment endpoints)
    p.set_defaults(func=run)


def pairs(items: list[str], what: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise ValueError(f"{what} {item!r} is not NAME=VALUE")
        out.append((key, value))
    return out


def param_values(items: list[tuple[str, str]]) -> dict[str, Any]:
    """``--param`` values: text (cast by the parameter's type later), except ``[a, b]``, a list
    (a task node spreads it into one execution per item; a ``multiple`` parameter takes it)."""
    import yaml

    values: dict[str, Any] = {}
    for key, text in items:
        value: Any = text
        if text.strip().startswith("[") and text.strip().endswith("]"):
            try:
                value = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise ValueError(f"--param {key}={text}: not a list ({exc.problem})") from None
        values[key] = value
    return values


def run(args: argparse.Namespace, out: IO[str] | None = None, stdin: IO[str] | None = None) -> int:
    from runner.api import RunOptions, load_settings, plan_run, run_target_hosts, start_run
    from runner.config import ConfigLoadError
    from runner.execution.plan import PlanError

    out = out or sys.stdout
    try:
        params = param_values(pairs(args.param, "--param"))
        inputs: dict[str, list[str]] = {}
        for key, value in pairs(args.input, "--input"):
            inputs.setdefault(key, []).append(value)
        if inputs and args.pipeline:
            raise ValueError("--input is for --step runs; pipelines get inputs from edges and defaults")
        image_map, network = engine_options(args)
        plan = plan_run(args.file, pipeline=args.pipeline, step=args.step, params=params, inputs=inputs)
        hosts = run_target_hosts(args.host if args.host is not None else load_settings().run_target) or [
            "local"
        ]
        if args.concurrency is None:
            args.concurrency = 1 << 16 if hosts != ["local"] else os.cpu_count() or 1
        if args.concurrency < 1:
            raise ValueError("--concurrency must be at least 1")
        unknown = sorted(set(args.approve) - set(plan.nodes))
        if unknown:
            raise ValueError(f"--approve: no node {', '.join(unknown)} (nodes: {', '.join(plan.nodes)})")
        debug_nodes = chosen_debug_nodes(args.debug, plan.nodes, args.pipeline, args.network)
        pycharm = pycharm_target(args, plan.root_dir, debug_nodes, out)  # --debugger pycharm
        unknown = sorted(set(args.pause_before) - set(plan.nodes))
        if unknown:
            raise ValueError(f"--pause-before: no node {', '.join(unknown)} (nodes: {', '.join(plan.nodes)})")
    except ConfigLoadError as exc:
        print(exc.format(), file=sys.stderr)
        return 2
    except (ValueError, PlanError) as exc:
        print(f"pipeline-designer run: error: {exc}", file=sys.stderr)
        return 2
    options = RunOptions(
        concurrency=args.concurrency,
        reuse=not args.no_reuse,
        strict=args.strict,
        image_map=image_map,
        debug_nodes=debug_nodes,
        capture_locals=args.capture_locals,
        pause_before=tuple(args.pause_before),
        pycharm=pycharm,
    )
    with stop_signals() as stopped:  # SIGTERM and SIGHUP cancel as Ctrl-C does
        try:
            handle = start_run(
                plan,
                options,
                backend=args.backend,
                network=network,
                pull=args.pull,
                hosts=hosts,
                approve=args.approve,
                approve_all=args.approve_all,
            )
        except KeyboardInterrupt:
            print("\ncancelled before the run started", file=sys.stderr)
            return stopped.exit_code
        except Exception as exc:  # engine unreachable and the like
            return _cannot_start(exc, hosts, args.backend)
        return _follow_run(args, handle, out, stdin or sys.stdin, stopped)


def _cannot_start(exc: Exception, hosts: list[str], backend: str) -> int:
    from runner.api import StoreError
    from runner.store.space import DiskFull

    if isinstance(exc, StoreError | DiskFull):  # the data folder, not the engine (runner.store.health)
        print(f"pipeline-designer run: error: {exc}", file=sys.stderr)
        return 2
    # Host errors name the host and say what to do; the local engine's are translated.
    print(start_error(exc, "run", hosts == ["local"] and backend != "local"), file=sys.stderr)
    return 2


def _follow_run(args: argparse.Namespace, handle: Any, out: IO[str], stdin: IO[str], stopped: Stopped) -> int:
    """Show the run until it ends; Ctrl-C, SIGTERM, SIGHUP or a closed output pipe cancel it."""
    for note in handle.notes:
        print(f"pipeline-designer run: {note}", file=sys.stderr)
    display = Progress(out, show_logs=args.logs)
    status: str | None = None
    broken = False
    while status is None:
        # Ctrl-C may land anywhere in here: it always means "cancel", never "leave containers".
        try:
            status = _follow(handle, display, stdin)
        except (KeyboardInterrupt, BrokenPipeError) as exc:
            if isinstance(exc, BrokenPipeError):  # `run ... | head`: stop quietly
                broken = True
                silence(out)
            with contextlib.suppress(OSError):
                print("\ncancelling (stopping running containers)...", file=sys.stderr)
            handle.cancel()
    # Sleep, never join, until the run has ended: a second Ctrl-C must not leave it half-stopped
    # (and a signal interrupting Thread.join makes Python 3.11 take the thread for finished).
    while not handle.done:
        try:
            time.sleep(0.01)  # the run thread closes the store: a few ms after RunFinished
        except KeyboardInterrupt:
            handle.cancel()
    handle.wait()
    try:
        display.final()
        print(f"run {handle.run_id}: {status}{display.stop_note(status)}", file=out)
    except BrokenPipeError:
        silence(out)
        return EXIT_BROKEN_PIPE
    if broken:
        return EXIT_BROKEN_PIPE
    if status == "cancelled" and stopped.signum is not None:
        return stopped.exit_code
    # Endpoints of deployment nodes: print their URLs and serve until Ctrl-C (or stop them now).
    serve_endpoints(handle, out, serve=not args.no_serve and status == "succeeded", show_logs=args.logs)
    return STATUS_EXIT.get(status, 1)


def _follow(handle: Any, display: Progress, stdin: IO[str]) -> str:
    while True:
        events = handle.events.get_all(timeout=0.25)  # all that came: a burst of lines at once
        if not events:
            if handle.done and handle.events.empty():
                handle.wait()  # re-raises a crash of the runner thread
                return handle.status or "failed"
            display.tick()
            continue
        for i, event in enumerate(events):
            display.handle(event)
            if isinstance(event, ApprovalRequested):
                _ask(handle, event, display, stdin)
            elif isinstance(event, RunFinished):
                handle.events.put_back(events[i + 1 :])  # endpoints' lines: serve_endpoints reads on
                return event.status


def _ask(handle: Any, event: ApprovalRequested, display: Progress, stdin: IO[str]) -> None:
    """A require-approval action paused a node: ask on the terminal, or fail the node at once."""
    if not stdin.isatty():
        node = shlex.quote(event.node)
        message = f'node "{event.node}" needs approval; run interactively, or pass --approve {node}'
        message += " (or --approve-all)"
        print(f"pipeline-designer run: {message}", file=sys.stderr)
        answer: tuple[bool, str] = (False, message)
    else:
        display.pause()
        sys.stderr.write(f'Approve node "{event.node}" ({event.reason})? [y/N] ')
        sys.stderr.flush()
        approved = stdin.readline().strip().lower() in ("y", "yes")
        answer = (approved, "" if approved else "rejected")
    try:
        if answer[0]:
            handle.approve(event.node)
        else:
            handle.reject(event.node, answer[1])
    except ValueError as exc:  # answered too late: cancelled or stopped meanwhile
        print(f"pipeline-designer run: {exc}", file=sys.stderr)


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
            print(f"run {event.run_id}: {len(event.nodes)} node(s)", file=self.out)
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
