"""Signals and closed pipes for the command line.

SIGTERM (``kill``, ``timeout``, systemd) and SIGHUP (a closed terminal, a logout) end a
command exactly as Ctrl-C does: ``stop_signals`` turns them into KeyboardInterrupt in the
main thread, so the one cancel path (containers stopped, the run recorded ``cancelled``)
serves all three. After SIGHUP the terminal is gone: writing to it would fail with EIO in the
middle of cancelling, so its output goes to /dev/null from then on.

A closed pipe (``... | head -1``) ends a command quietly: ``silence`` points the stream at
/dev/null, so neither the rest of the output nor the interpreter's last flush raises.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import threading
from collections.abc import Iterator
from typing import IO

EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE  # what a shell reports for a program SIGPIPE ended


class Stopped:
    """Which stop signal came (None: Ctrl-C, or none); ``exit_code`` is the shell's 128 + N."""

    def __init__(self) -> None:
        self.signum: int | None = None

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGINT)

    def _handle(self, signum: int, _frame: object) -> None:
        first = self.signum is None
        self.signum = self.signum or signum
        if signum == signal.SIGHUP:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    # isatty() fails on a terminal already hung up; a pipe or file stays
                    if stat.S_ISCHR(os.fstat(stream.fileno()).st_mode):
                        silence(stream)
        if first:  # a second one while cancelling must not break the cancel off
            raise KeyboardInterrupt


@contextlib.contextmanager
def stop_signals() -> Iterator[Stopped]:
    """SIGTERM and SIGHUP raise KeyboardInterrupt (once) in the main thread while inside."""
    stopped = Stopped()
    if threading.current_thread() is not threading.main_thread():  # signals only go there
        yield stopped
        return
    previous = {sig: signal.signal(sig, stopped._handle) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield stopped
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def silence(stream: IO[str]) -> None:
    """Point ``stream``'s file descriptor at /dev/null (its buffered text is dropped)."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError):  # not a real file (a test's StringIO): nothing to do
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
