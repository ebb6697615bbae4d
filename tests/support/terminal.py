"""Reading what a command writes to a pseudo-terminal (pty tests of prompts)."""

from __future__ import annotations

import os
import select
import subprocess
import time
from collections.abc import Callable


def read_until(
    fd: int,
    want: Callable[[str], bool],
    timeout: float = 60,
    proc: subprocess.Popen[str] | None = None,
) -> str:
    """Everything read from the terminal ``fd`` until ``want(text)`` holds, the terminal closes,
    ``proc`` (when given) has ended with nothing more to read, or ``timeout`` seconds pass."""
    text, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline and not want(text):
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the terminal's other side is closed
                break
            if not chunk:
                break
            text += chunk.decode(errors="replace")
        elif proc is not None and proc.poll() is not None:
            break
    return text
