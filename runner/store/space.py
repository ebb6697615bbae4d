"""Free space where the runner writes (the data folder: run store, artifacts, logs, work dirs).

A full disk is said once, in words the user can act on: which filesystem, how much was needed
and how much is free, and that ``pipeline-designer gc`` frees space. ``DiskFull`` carries that
message; ``as_disk_full`` turns what a full disk raises elsewhere (an ``OSError`` ENOSPC from a
file write, SQLite's "database or disk is full") into it.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

MB = 1024 * 1024
# What recording a unit's outcome takes at least (store rows, log lines, the WAL growing).
RESERVE = 2 * MB
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
NO_SPACE = "no space left on "  # how every full-disk message starts


class DiskFull(OSError):
    """No room left where the runner writes; ``str()`` is the whole message for the user."""

    def __init__(self, path: Path, needed: int, free: int) -> None:
        self.path, self.needed, self.free = path, needed, free
        super().__init__(errno.ENOSPC, message(path, needed, free))

    def __str__(self) -> str:
        return message(self.path, self.needed, self.free)


def message(path: Path, needed: int, free: int) -> str:
    return (
        f"{NO_SPACE}{device(path)}: {_mb(needed)} MB needed, {_mb(free)} MB free; "
        "free space with `pipeline-designer gc`"
    )


def _mb(n: int) -> str:
    return f"{n / MB:.1f}" if n < 10 * MB else f"{n // MB}"


def free_bytes(path: Path) -> int:
    """Bytes an unprivileged writer may still use on ``path``'s filesystem (0 if unknown)."""
    try:
        st = os.statvfs(_existing(path))
    except OSError:
        return 0
    return st.f_bavail * st.f_frsize


def check(path: Path, needed: int) -> None:
    """DiskFull unless ``needed`` bytes (plus the reserve) fit on ``path``'s filesystem."""
    free = free_bytes(path)
    if needed + RESERVE > free:
        raise DiskFull(Path(path), needed + RESERVE, free)


def device(path: Path) -> str:
    """The filesystem holding ``path``, as the user knows it: its mount point (and the device)."""
    target = os.path.realpath(_existing(path))
    best, source = "/", ""
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return str(path)
    for line in lines:
        parts = line.split()
        if len(parts) < 2:
            continue
        point = parts[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, source = point, parts[0]
    return f"{best} ({source})" if source and source != best else best


def _existing(path: Path) -> Path:
    """``path`` or its nearest existing parent (the file may not have been created yet)."""
    path = Path(path)
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def is_full(exc: BaseException) -> bool:
    """Whether ``exc`` is what a full disk raises (a file write's ENOSPC, SQLite's "full")."""
    if isinstance(exc, DiskFull):
        return True
    if isinstance(exc, sqlite3.OperationalError):
        return "disk is full" in str(exc).lower()
    return isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS


def as_disk_full(exc: BaseException, path: Path, needed: int = 0) -> DiskFull | None:
    """The DiskFull that ``exc`` stands for (a write on ``path``'s filesystem failed), or None."""
    if isinstance(exc, DiskFull):
        return exc
    if is_full(exc):
        return DiskFull(Path(path), max(needed, RESERVE), free_bytes(path))
    return None
