"""The backend interface: all a new backend (local engine, SSH hosts, Ray, ...) implements.

A backend is a class; the executor never branches on which one it has. It runs *units* (a
plain node or a task node's execution, runner.execution.naming) from an ``ExecutionSpec``; the
unit runner (runner.execution.units) is its only caller. ``Backend`` below is required:

- ``launch(spec, wakeup)`` -> ``Handle``: on the unit runner's pool, so it may block while it
  uploads and starts, but never waits for the step. Output arrives on the backend's reader
  threads through ``Handle.feed``/``finish``, which set ``wakeup``.
- ``poll(handle)``: on the loop thread, never blocks (``poll_handle`` is the usual one).
- ``terminate(handle, grace)``: any thread; SIGTERM, then SIGKILL after ``grace`` seconds.
- ``collect(handle, artifacts, warn)``: once finished, the outputs into the artifact store.
- ``cleanup(handle)``, ``remove_leftovers(run_id)``: nothing of the run is left behind.

System metrics: while a unit runs, a backend that can sample it (``spec.system_metrics``) puts
its container's samples into ``handle.system`` from a thread of its own (runner.sysmetrics:
the Docker stats stream, nvidia-smi where GPUs are assigned); nothing else is needed.

Optional members, looked up by name where they are used:

- ``placer`` (runner.execution.placement.Placer): the backend spreads units over hosts; the
  run's concurrency is capped at its capacity and each unit's ``spec.host``/``spec.gpu_ids``
  come from its placement before ``launch``.
- ``image_identity(image) -> str``: the engine's id of an image, part of the reuse key (without
  it an image is known by its name only).
- ``set_reporter(report)``: ``report(unit, text)`` from any thread puts a progress line
  (transfers, pulls) into the unit's log.
- ``notes`` (start-up notes for the user) and ``close()`` (end of the run): runner.api.

Register a new backend by name in runner.execution.factory.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, Protocol

from runner.execution.spec import ExecutionSpec, OutputFile
from runner.store.artifacts import ArtifactStore
from runner.sysmetrics.samples import SystemFeed

Warn = Callable[[str], None]
MAX_LINE = 64 * 1024  # longer unterminated output is cut into lines of this size
POLL_LINES = 20_000  # lines one poll hands over at most (the loop has other units to serve)


@dataclass
class Handle:
    """A launched execution; ``state`` belongs to the backend (container, process, workdir)."""

    spec: ExecutionSpec
    started: float = field(default_factory=time.time)
    last_output: float = field(default_factory=time.monotonic)
    exit_code: int | None = None
    error: str | None = None  # the backend failed (not the step)
    state: dict[str, Any] = field(default_factory=dict)
    _lines: deque[tuple[str, str, float]] = field(default_factory=deque)
    _partial: dict[str, bytes] = field(default_factory=dict)
    _finished: threading.Event = field(default_factory=threading.Event)
    wakeup: threading.Event | None = None
    # Its container's CPU, memory and GPU figures, filled by the backend's sampler when
    # ``spec.system_metrics`` (runner.sysmetrics); the unit runner takes them.
    system: SystemFeed = field(default_factory=SystemFeed)

    def feed(self, stream: str, data: bytes) -> None:
        """Append raw bytes of ``stream``; complete lines become available to ``poll``.

        On the backend's reader thread, so it is kept cheap: one decode and one split for all
        the lines of a chunk, which share the time they arrived."""
        now = time.time()
        self.last_output = time.monotonic()
        rest = self._partial.pop(stream, b"")
        head, newline, tail = data.rpartition(b"\n")
        if not newline:
            tail = rest + tail
            if len(tail) <= MAX_LINE:
                self._partial[stream] = tail
                return
            text, tail = tail.decode("utf-8", "replace"), b""  # a progress bar redrawn with \r
        else:
            text = (rest + head).decode("utf-8", "replace")
            if len(tail) > MAX_LINE:
                text, tail = f"{text}\n{tail.decode('utf-8', 'replace')}", b""
        if tail:
            self._partial[stream] = tail
        lines = text.split("\n")
        if "\r" in text:
            lines = [line.rstrip("\r") for line in lines]
        self._lines.extend(zip(repeat(stream), lines, repeat(now)))
        if self.wakeup:
            self.wakeup.set()

    def finish(self, exit_code: int | None, error: str | None = None) -> None:
        now = time.time()
        for stream, rest in self._partial.items():
            if rest:
                self._lines.append((stream, rest.decode("utf-8", "replace"), now))
        self._partial.clear()
        self.exit_code, self.error = exit_code, error
        self._finished.set()
        if self.wakeup:
            self.wakeup.set()

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._finished.wait(timeout)

    def drain(self, limit: int | None = None) -> list[tuple[str, str, float]]:
        """The lines so far (at most ``limit``; the rest stay for the next call)."""
        lines = self._lines
        n = len(lines) if limit is None else min(limit, len(lines))
        return [lines.popleft() for _ in range(n)]

    @property
    def pending(self) -> int:
        """Complete lines not drained yet."""
        return len(self._lines)


@dataclass
class Poll:
    lines: list[tuple[str, str, float]]  # (stream, text, unix time)
    finished: bool
    exit_code: int | None
    error: str | None


class Backend(Protocol):
    name: str
    isolated: bool

    def launch(self, spec: ExecutionSpec, wakeup: threading.Event | None = None) -> Handle: ...

    def poll(self, handle: Handle) -> Poll: ...

    def terminate(self, handle: Handle, grace: float = 2.0) -> None: ...

    def collect(self, handle: Handle, artifacts: ArtifactStore, warn: Warn) -> list[OutputFile]: ...

    def cleanup(self, handle: Handle) -> None: ...

    def remove_leftovers(self, run_id: str) -> int: ...


def poll_handle(handle: Handle, limit: int = POLL_LINES) -> Poll:
    """The common ``poll``: lines so far (at most ``limit``: a backlog is taken in several
    turns of the loop, which looks again at once), and the exit status once the reader has
    seen it and every line is taken."""
    finished = handle.finished  # read first: finish() queues the last lines before it is set
    lines = handle.drain(limit)
    if handle.pending:
        finished = False
        if handle.wakeup:
            handle.wakeup.set()
    return Poll(lines, finished, handle.exit_code, handle.error)
