"""The store's one SQLite connection: opened at the current schema, guarded by a lock.

The executor thread and a caller thread may share it; other processes (``history`` while a
run goes on) read concurrently thanks to WAL. The tables' methods live in subclasses
(runner.store.db, runner.store.records).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from runner.store.health import check_not_emptied, damaged, translate
from runner.store.run_filter import param_is
from runner.store.schema import StoreError, check_version, migrate

# Columns holding JSON text: decoded on the way out, encoded on the way in.
JSON_COLUMNS = ("parameters", "inputs", "env", "options", "properties", "record", "git", "reads", "gpu_ids")


def encode(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: json.dumps(v) if k in JSON_COLUMNS and v is not None else v for k, v in fields.items()}


def _row(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    for key in JSON_COLUMNS:
        if out.get(key) is not None:
            out[key] = json.loads(out[key])
    return out


class StoreConnection:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        check_not_emptied(path)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.create_function("pd_param_is", 3, param_is, deterministic=True)
        try:
            check_version(self._db, path)  # a newer program's store is refused before any write
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            migrate(self._db, path)
        except StoreError:
            self._db.close()
            raise
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise translate(exc, path) or damaged(path, str(exc)) from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """The lock; a damaged file or a full disk raised as StoreDamaged / StoreFull."""
        with self._lock:
            try:
                yield
            except sqlite3.DatabaseError as exc:
                raise translate(exc, self.path) or exc from None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._guard():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:  # SQLite may have rolled back itself (disk full)
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                raise

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._guard():
            return [_row(x) for x in self._db.execute(sql, args).fetchall()]

    def _insert_or_update(self, db: sqlite3.Connection, table: str, key: str, fields: dict[str, Any]) -> None:
        """Update the row with ``id = key`` or insert it (``fields`` already encoded)."""
        if db.execute(f"SELECT 1 FROM {table} WHERE id=?", (key,)).fetchone():
            if fields:
                sets = ", ".join(f"{k}=?" for k in fields)
                db.execute(f"UPDATE {table} SET {sets} WHERE id=?", (*fields.values(), key))
            return
        cols = ", ".join(["id", *fields])
        marks = ", ".join("?" * (len(fields) + 1))
        db.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", (key, *fields.values()))
