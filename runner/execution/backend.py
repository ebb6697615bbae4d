"""The backend interface: ``launch`` / ``poll`` / ``terminate`` (+ ``collect`` / ``cleanup``).

A backend is a class; the executor never branches on which one it has. Log output arrives
on reader threads and is buffered into lines here; ``poll`` hands them over without blocking.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from runner.execution.spec import ExecutionSpec, OutputFile
from runner.store.artifacts import ArtifactStore

Warn = Callable[[str], None]
MAX_LINE = 64 * 1024  # longer unterminated output is cut into lines of this size


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

    def feed(self, stream: str, data: bytes) -> None:
        """Append raw bytes of ``stream``; complete lines become available to ``poll``."""
        now = time.time()
        self.last_output = time.monotonic()
        buf = self._partial.get(stream, b"") + data
        *lines, rest = buf.split(b"\n")
        if len(rest) > MAX_LINE:  # a progress bar redrawn with \r never ends its line
            lines.append(rest)
            rest = b""
        self._partial[stream] = rest
        for line in lines:
            self._lines.append((stream, line.decode("utf-8", "replace").rstrip("\r"), now))
        if lines and self.wakeup:
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

    def drain(self) -> list[tuple[str, str, float]]:
        out = []
        while self._lines:
            out.append(self._lines.popleft())
        return out


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


def poll_handle(handle: Handle) -> Poll:
    """The common ``poll``: lines so far, and the exit status once the reader has seen it."""
    finished = handle.finished
    return Poll(handle.drain(), finished, handle.exit_code, handle.error)
