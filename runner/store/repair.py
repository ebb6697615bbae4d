"""``pipeline-designer store repair``: salvage what SQLite can still read of a damaged run store.

The damaged file is opened read-only and copied table by table into a fresh store at the current
schema: a table reads in one pass when it can, otherwise in windows of rowids, and a window that
fails row by row, so a damaged page loses only the rows on it. Derived data (the metric index,
the input index) is rebuilt from what was salvaged. Then the damaged file (and its -wal/-shm) is
moved aside, never deleted, and the fresh store takes its place.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.store import metric_index
from runner.store.schema import _backfill_inputs, migrate

WINDOW = 1000  # rowids read at once once a table no longer reads in one pass
_GIVE_UP = 1000  # empty windows in a row past the last row seen (when max(rowid) is unreadable)
_DERIVED = set(metric_index.TABLES)  # rebuilt from the records instead of copied


@dataclass
class Repaired:
    path: Path
    aside: Path | None = None  # where the damaged file went
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows salvaged
    partial: list[str] = field(default_factory=list)  # tables that could not be read in full
    unreadable: str = ""  # why nothing at all could be read ("" if something could)
    healthy: bool = False  # integrity_check found nothing wrong: nothing was changed


def check(path: Path) -> str:
    """ "ok", or what SQLite's integrity check (or opening the file) says is wrong."""
    try:
        with contextlib.closing(_read_only(path)) as db:
            rows = db.execute("PRAGMA integrity_check(20)").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    text = "; ".join(str(r[0]) for r in rows)
    return "ok" if text == "ok" else text


def repair(path: Path, force: bool = False) -> Repaired:
    """Rebuild the store at ``path`` from what can be read of it (unless it is healthy and not
    ``force``); the damaged file is kept beside it as ``<name>.damaged-<time>``."""
    out = Repaired(path)
    if path.exists() and path.stat().st_size and not force and check(path) == "ok":
        out.healthy = True
        return out
    fresh = path.with_name(path.name + ".repairing")
    for leftover in _with_journals(fresh):
        leftover.unlink(missing_ok=True)
    target = sqlite3.connect(fresh, isolation_level=None)
    try:
        target.execute("PRAGMA journal_mode=WAL")
        migrate(target, fresh)
        _salvage(path, target, out)
        target.execute("BEGIN IMMEDIATE")
        metric_index.backfill(target)  # the metric index of every salvaged record
        _backfill_inputs(target)
        target.execute("COMMIT")
        target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        target.close()
    out.aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    for src, dest in zip(_with_journals(path), _with_journals(out.aside), strict=True):
        if src.exists():
            os.replace(src, dest)
    for src, dest in zip(_with_journals(fresh), _with_journals(path), strict=True):
        if src.exists():
            os.replace(src, dest)
    return out


def _salvage(path: Path, target: sqlite3.Connection, out: Repaired) -> None:
    try:
        source = _read_only(path)
        tables = {r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        out.unreadable = str(exc)
        return
    try:
        wanted = [r[0] for r in target.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in wanted:
            if table.startswith("sqlite_") or table in _DERIVED or table not in tables:
                continue
            mine = [r[1] for r in target.execute(f"PRAGMA table_info({table})")]
            try:
                theirs = {r[1] for r in source.execute(f"PRAGMA table_info({table})")}
            except sqlite3.DatabaseError:
                out.partial.append(table)
                continue
            cols = [c for c in mine if c in theirs]
            names = ", ".join(cols)
            insert = f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({', '.join('?' * len(cols))})"
            count, whole = 0, True
            target.execute("BEGIN IMMEDIATE")
            for batch, ok in _rows(source, table, names):
                target.executemany(insert, batch)
                count += len(batch)
                whole = whole and ok
            target.execute("COMMIT")
            out.rows[table] = count
            if not whole:
                out.partial.append(table)
    finally:
        source.close()


def _rows(db: sqlite3.Connection, table: str, names: str) -> Iterator[tuple[list[Any], bool]]:
    """Batches of readable rows, each with whether nothing was lost up to it."""
    try:
        yield db.execute(f"SELECT {names} FROM {table}").fetchall(), True
        return
    except sqlite3.DatabaseError:
        pass
    try:
        top: int | None = db.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
    except sqlite3.DatabaseError:
        top = None
    start, last_seen, lost = 0, 0, False

    def more() -> bool:
        return start - last_seen < _GIVE_UP * WINDOW if top is None else start <= top

    while more():
        end = start + WINDOW - 1
        try:
            rows = db.execute(
                f"SELECT rowid, {names} FROM {table} WHERE rowid BETWEEN ? AND ? ORDER BY rowid", (start, end)
            ).fetchall()
        except sqlite3.DatabaseError:
            rows, lost = _one_by_one(db, table, names, start, end), True
        if rows:
            last_seen = rows[-1][0]
            yield [r[1:] for r in rows], not lost
        start = end + 1
    if lost:
        yield [], False


def _one_by_one(db: sqlite3.Connection, table: str, names: str, start: int, end: int) -> list[Any]:
    rows = []
    for rowid in range(start, end + 1):
        with contextlib.suppress(sqlite3.DatabaseError):
            row = db.execute(f"SELECT rowid, {names} FROM {table} WHERE rowid=?", (rowid,)).fetchone()
            if row is not None:
                rows.append(row)
    return rows


def _read_only(path: Path) -> sqlite3.Connection:
    """Read only where SQLite can; a file left in WAL mode without its -shm needs write access."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.OperationalError as exc:
        if "unable to open" not in str(exc):
            raise
        db.close()
        db = sqlite3.connect(path)
    return db


def _with_journals(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
