"""What goes wrong with the run store file, said as what it is and what to do.

SQLite reports a damaged file (truncated, overwritten, not a database at all) and a full disk as
``sqlite3.DatabaseError``s deep inside a query; the store's connection (runner.store.connection)
turns them into ``StoreDamaged`` and ``StoreFull``, which every command prints as one message and
exits 2 with (runner.cli.main), and which ``run`` never takes for an engine problem.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from runner.store.schema import StoreError
from runner.store.space import RESERVE, DiskFull, free_bytes, is_full

REPAIR_HINT = (
    "Keep a copy of the file, then run `pipeline-designer store repair`: it salvages what SQLite "
    "can still read into a fresh store and moves the damaged file aside"
)
_DAMAGE = ("malformed", "not a database", "file is encrypted", "disk i/o error", "database corrupt")


class StoreDamaged(StoreError):
    """The store file cannot be read as a database (or only in part)."""


class StoreFull(StoreError, DiskFull):
    """A write to the store failed because its disk is full; the message says where and what to do."""

    def __init__(self, path: Path) -> None:
        DiskFull.__init__(self, path, RESERVE, free_bytes(path))

    def __str__(self) -> str:
        return DiskFull.__str__(self)


def damaged(path: Path, why: str) -> StoreDamaged:
    return StoreDamaged(f"{path}: the run store is damaged ({why}). {REPAIR_HINT}.")


def translate(exc: sqlite3.DatabaseError, path: Path) -> StoreError | None:
    """The StoreError ``exc`` stands for, or None (a locked database, a bug: raised as it is)."""
    text = str(exc).lower()
    # On a full disk SQLite may say "disk I/O error" (its WAL or shared-memory file cannot grow).
    if is_full(exc) or ("disk i/o error" in text and free_bytes(path) < RESERVE):
        return StoreFull(path)
    if any(word in text for word in _DAMAGE):
        return damaged(path, str(exc))
    return None


def check_not_emptied(path: Path) -> None:
    """An existing store file of 0 bytes beside the logs of past runs was emptied (truncated to
    nothing), not just created: refuse it rather than show no history."""
    try:
        if path.stat().st_size != 0:
            return
    except FileNotFoundError:
        return
    logs = path.parent / "logs"
    if logs.is_dir() and any(logs.iterdir()):
        raise damaged(path, "the file is empty, but the logs of past runs are beside it")
