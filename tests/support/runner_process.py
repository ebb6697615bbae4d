"""A runner in a process of its own, to kill: ``pipeline-designer run`` (the real CLI entry)
started on a YAML, waited for until its first node prints ``started``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.images import BUSYBOX
from tests.support.paths import REPO

RUN_LABEL = "pipeline-designer.run-id"


@dataclass
class RunnerProcess:
    proc: subprocess.Popen[str]
    home: Path

    def run_id(self, timeout: float = 60) -> str:
        """The id of the run once a container of it is up (read from the run store)."""
        from runner.store.db import RunStore

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (self.home / "runs.sqlite3").exists():
                store = RunStore(self.home / "runs.sqlite3")
                try:
                    running = [
                        e
                        for r in store.runs(5)
                        for e in store.executions(r["id"])
                        if e["status"] == "running"
                    ]
                finally:
                    store.close()
                if running:
                    return str(running[0]["run_id"])
            if self.proc.poll() is not None:
                raise AssertionError(f"the runner ended early: {self.proc.communicate()}")
            time.sleep(0.1)
        raise AssertionError("no node of the run started in time")


def runner_env(home: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "PIPELINE_DESIGNER_HOME": str(home),
        "PIPELINE_DESIGNER_IMAGE_MAP": f"busybox={BUSYBOX}",
        **extra,
    }


@contextmanager
def runner_process(
    home: Path, *argv: str, env: dict[str, str] | None = None, **popen: Any
) -> Iterator[RunnerProcess]:
    """``pipeline-designer run ARGV...`` (network none, never pull); killed at the end if alive."""
    cmd = [sys.executable, "-m", "designer.cli", "run", *argv, "--pull", "never"]
    if "--host" not in argv:
        cmd += ["--network", "none"]
    kwargs: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, **popen}
    proc = subprocess.Popen(cmd, cwd=REPO, env=env or runner_env(home), **kwargs)
    try:
        yield RunnerProcess(proc, home)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)


def running_containers(client: Any, run_id: str) -> list[Any]:
    return list(client.containers.list(ignore_removed=True, filters={"label": f"{RUN_LABEL}={run_id}"}))


def seconds_until_stopped(client: Any, run_id: str, limit: float = 30) -> float:
    """How long until no container of the run is running (limit + 1 if they never stop)."""
    t0 = time.monotonic()
    while running_containers(client, run_id):
        if time.monotonic() - t0 > limit:
            return limit + 1
        time.sleep(0.1)
    return time.monotonic() - t0


def kill_runner(proc: subprocess.Popen[str], how: int) -> float:
    """Send ``how`` (SIGKILL or SIGSTOP) and return the wall-clock moment the runner was
    dead or frozen, checked: reaped for SIGKILL, in the stopped state for SIGSTOP."""
    os.kill(proc.pid, how)
    died = time.time()  # the kernel acts on the signal as it is sent; confirmed below
    if how == signal.SIGKILL:
        proc.wait(60)
        return died
    deadline = time.monotonic() + 60
    while _proc_state(proc.pid) not in ("T", "t"):
        assert time.monotonic() < deadline, f"the runner did not stop: state {_proc_state(proc.pid)}"
        time.sleep(0.01)
    return died


def _proc_state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "gone"
    return stat.rpartition(")")[2].split()[0]


def seconds_stopped_after(client: Any, run_id: str, since: float, limit: float = 120) -> float:
    """Seconds from ``since`` (a ``time.time()``) to the moment the engine saw the run's last
    container end (its ``State.FinishedAt``): the moment the step stopped, not the moment a
    poll of a loaded machine noticed. Polls up to ``limit`` s for the run's containers to stop."""
    deadline = time.monotonic() + limit
    while running_containers(client, run_id):
        if time.monotonic() > deadline:
            return float("inf")  # never stopped
        time.sleep(0.2)
    mine = {"label": f"{RUN_LABEL}={run_id}"}
    ended = [finished_at(c) for c in client.containers.list(all=True, ignore_removed=True, filters=mine)]
    assert ended, f"run {run_id} has no container to measure (removed already?)"
    return max(ended) - since


def finished_at(container: Any) -> float:
    """A stopped container's ``State.FinishedAt`` (RFC 3339, nanoseconds, UTC) as epoch seconds."""
    from datetime import UTC, datetime

    text = container.attrs["State"]["FinishedAt"].rstrip("Z")
    whole, _dot, fraction = text.partition(".")
    moment = datetime.fromisoformat(whole).replace(tzinfo=UTC).timestamp()
    return moment + float(f"0.{fraction or 0}")


def seconds_to_die_event(client: Any, run_id: str, since: float) -> float:
    """Seconds from ``since`` (a ``time.time()``) to the engine's ``die`` event of the run's
    last container: when it stopped, by the engine's record (it may be removed since)."""
    events = client.events(
        since=int(since) - 1,
        until=int(time.time()) + 1,
        decode=True,
        filters={"type": "container", "event": "die", "label": f"{RUN_LABEL}={run_id}"},
    )
    stops = [int(e["timeNano"]) / 1e9 for e in events]
    assert stops, f"no container of run {run_id} stopped since then"
    return max(stops) - since
