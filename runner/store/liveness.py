"""Is a run's process still there? Its pid, and the process's start time, so that a pid the
system has handed to another process since (or a reboot) is not taken for the runner."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

_PROC = Path("/proc")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_token(pid: int) -> str | None:
    """``<boot id>/<start time>`` of a process (Linux); None where that is not known."""
    try:
        boot = (_PROC / "sys/kernel/random/boot_id").read_text().strip()
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses; start time is field 22.
    fields = stat.rpartition(")")[2].split()
    return f"{boot}/{fields[19]}" if len(fields) > 19 else None


def runner_alive(run: dict[str, Any]) -> bool | None:
    """Whether the process that runs ``run`` (a runs row) is alive; None: another machine's run."""
    if run.get("host") != socket.gethostname():
        return None
    pid = run.get("pid")
    if not pid or not pid_alive(int(pid)):
        return False
    recorded = run.get("pid_start")
    if recorded:  # the pid is in use: is it still the process that started the run?
        now = process_token(int(pid))
        return now is None or now == recorded
    return True
