"""One command in a child the resident process forked: made to look like the caller's process.

Its stdin/stdout/stderr become the caller's own descriptors (so a terminal is a terminal, a
closed pipe a closed pipe, and an approval prompt reads the real keyboard); its folder,
environment, umask and argv are the caller's; signals are as a fresh interpreter has them
(SIGINT raises KeyboardInterrupt, the rest default), so the stop signals the client forwards
end the run exactly as they end one in the caller's process. Then the command runs as the
console script runs it.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import traceback
from typing import Any, NoReturn


def run_request(request: dict[str, Any], fds: list[int]) -> NoReturn:
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in request["env"].items()})
        encoding = str(request.get("encoding") or "utf-8")
        unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))  # as the caller's Python would be
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding=encoding)
        sys.stdout = _writer(1, encoding, "strict", line=False, through=unbuffered)
        sys.stderr = _writer(2, encoding, "backslashreplace", line=True, through=unbuffered)
        os.umask(int(request["umask"]))
        os.chdir(str(request["cwd"]))
        argv = [str(a) for a in request["argv"]]
        sys.argv = [str(request.get("argv0") or "pipeline-designer"), *argv]
    except Exception as exc:  # the caller's folder is gone, a descriptor is bad, ...
        with contextlib.suppress(OSError):
            os.write(2, f"pipeline-designer: the resident runner cannot run this command: {exc}\n".encode())
        os._exit(2)
    from runner.cli.main import exit_process, run_headless

    try:
        code: object = run_headless(argv)
    except SystemExit as exc:  # argparse: --help, a usage error
        code = exc.code
    except BaseException:  # what the interpreter would print for an uncaught error
        traceback.print_exc()
        code = 1
    exit_process(code)


def _writer(fd: int, encoding: str, errors: str, line: bool, through: bool) -> io.TextIOWrapper:
    """A stream as Python makes stdout/stderr: line-buffered on a terminal (stderr always),
    written through with PYTHONUNBUFFERED."""
    raw = io.FileIO(fd, "w", closefd=False)
    buffer: io.RawIOBase | io.BufferedWriter = raw if through else io.BufferedWriter(raw)
    line = line or raw.isatty()
    return io.TextIOWrapper(
        buffer, encoding=encoding, errors=errors, line_buffering=line, write_through=through
    )
