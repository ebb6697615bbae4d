"""One looping ``nvidia-smi`` per host, shared by the units running there with GPUs.

It starts when the first such unit starts and stops with the last, so a host without GPU
units runs nothing. Each unit's sampler asks ``figures(gpu_ids)`` when a stats frame of its
container arrives: the latest figures of its GPUs (at most a second old), or a note saying
why there are none (nvidia-smi missing, failing, or not listing a GPU). The command runs
where the GPUs are: here (``LocalCommand``) or on the host over its SSH connection.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from runner.events import GpuFigures
from runner.sysmetrics.nvidia_smi import SmiReader, script

PERIOD = 1  # seconds between nvidia-smi's reports


class CommandStream(Protocol):
    """A shell command running where the GPUs are (runner.hosts.channels.RemoteProcess is one)."""

    def lines(self) -> Iterator[str]: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def close(self) -> None: ...


Launch = Callable[[str], CommandStream]  # start ``sh -c``-style command line


class LocalCommand:
    """A command line run by ``sh -c`` on this machine, its output and errors as one stream;
    its standard input a pipe held open until ``close`` (or this process's end: the loop of
    ``nvidia_smi.script`` stops when it closes, as a remote one does with its channel)."""

    def __init__(self, command: str) -> None:
        self._proc = subprocess.Popen(
            ["sh", "-c", command],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: close() stops whatever it started
        )

    def lines(self) -> Iterator[str]:
        assert self._proc.stdout is not None
        with self._proc.stdout:
            for raw in self._proc.stdout:
                yield raw.decode("utf-8", "replace").rstrip("\r\n")

    def wait(self, timeout: float | None = None) -> int:
        return self._proc.wait(timeout)

    def close(self) -> None:
        """Stop it (the reader sees the end of its output); never waits on the reader."""
        if self._proc.stdin is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        if self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(2)


class GpuWatch:
    def __init__(self, launch: Launch, where: str, period: int = PERIOD) -> None:
        self._launch, self.where, self._period = launch, where, period
        self._lock = threading.Lock()
        self._users = 0
        self._stream: CommandStream | None = None
        self._reader = SmiReader()
        self._problem = ""

    def acquire(self) -> None:
        """A unit with GPUs started here: nvidia-smi runs (started by the first)."""
        with self._lock:
            self._users += 1
            if self._users > 1:
                return
            self._reader, self._problem = SmiReader(), ""
        threading.Thread(target=self._follow, name="nvidia-smi", daemon=True).start()

    def release(self) -> None:
        """That unit ended: nvidia-smi stops with the last one."""
        with self._lock:
            self._users = max(self._users - 1, 0)
            stream = self._stream if self._users == 0 else None
            if stream is not None:
                self._stream = None
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.close()

    def figures(self, gpu_ids: Sequence[str]) -> tuple[tuple[GpuFigures, ...], str]:
        """The latest figures of these GPUs and a note ("" when all are there, or before the
        first report)."""
        with self._lock:
            if self._problem:
                return (), self._problem
            if not self._reader.gpus:
                return (), ""
            return self._reader.select(gpu_ids, self.where)

    def _follow(self) -> None:
        reader = self._reader
        try:
            stream = self._launch(script(self._period))
        except Exception as exc:  # the host's connection is gone: the units still run
            self._set_problem(reader, f"could not run nvidia-smi on {self.where}: {exc}")
            return
        with self._lock:
            if self._users == 0 or reader is not self._reader:  # everyone left meanwhile
                stream.close()
                return
            self._stream = stream
        status: int | None = None
        try:
            for line in stream.lines():
                with self._lock:
                    reader.feed(line)
            status = stream.wait(10)
        except Exception:
            status = None
        with self._lock:
            by_itself = self._stream is stream  # else the last unit released it and closed it
            if by_itself:
                self._stream = None
        if by_itself:
            why = reader.problem(status, self.where) or f"nvidia-smi stopped reporting on {self.where}"
            self._set_problem(reader, why)

    def _set_problem(self, reader: SmiReader, text: str) -> None:
        with self._lock:
            if reader is self._reader:
                self._problem = text
