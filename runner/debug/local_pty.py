"""A program on this machine under a pseudo-terminal (a terminal editor opened from the failure
view runs in a Terminal tab): the same session interface as a container's shell."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import signal
import struct
import termios


class LocalTerminal:
    def __init__(
        self, argv: list[str], cwd: str | None = None, banner: str = "", size: tuple[int, int] = (24, 80)
    ) -> None:
        self.banner = banner
        env = {**os.environ, "TERM": "xterm-256color"}
        pid, fd = pty.fork()
        if pid == 0:  # the child: exec at once (nothing else is safe in a forked threaded process)
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", *size, 0, 0))  # before it looks
                if cwd:
                    os.chdir(cwd)
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)
        self._pid, self._fd = pid, fd
        self._code: int | None = None

    def write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            os.write(self._fd, data)

    def read(self) -> bytes:
        try:
            return os.read(self._fd, 65536)
        except OSError:  # EIO: the program ended and the pty closed
            return b""

    def fileno(self) -> int:
        """The pty's end on this side, for a selector waiting on its output."""
        return self._fd

    def resize(self, rows: int, cols: int) -> None:
        with contextlib.suppress(OSError):
            fcntl.ioctl(self._fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def exit_code(self, timeout: float = 5.0) -> int | None:
        if self._code is None:
            with contextlib.suppress(ChildProcessError):
                _pid, status = os.waitpid(self._pid, 0)
                self._code = os.waitstatus_to_exitcode(status)
        return self._code

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            if self._code is None:
                os.kill(self._pid, signal.SIGHUP)
        with contextlib.suppress(OSError):
            os.close(self._fd)
