"""SQLite (WAL) store of runs, executions, outputs and metadata records.

One connection guarded by a lock, so the executor thread and a caller thread may share it;
other processes (``history`` while a run goes on) read concurrently thanks to WAL.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, pipeline TEXT, step TEXT, yaml_path TEXT, status TEXT NOT NULL,
    started REAL NOT NULL, ended REAL, pid INTEGER, host TEXT, backend TEXT, options TEXT
);
CREATE TABLE IF NOT EXISTS executions (
    id TEXT PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs(id), node TEXT NOT NULL,
    step TEXT, image TEXT, command TEXT, parameters TEXT, inputs TEXT, env TEXT,
    reuse_key TEXT, status TEXT NOT NULL, exit_code INTEGER, started REAL, ended REAL,
    host TEXT, backend TEXT, reused_from TEXT, message TEXT, log_path TEXT,
    UNIQUE (run_id, node)
);
CREATE INDEX IF NOT EXISTS executions_reuse ON executions (reuse_key, status);
CREATE TABLE IF NOT EXISTS outputs (
    execution_id TEXT NOT NULL REFERENCES executions(id), path TEXT NOT NULL,
    sha256 TEXT NOT NULL, size INTEGER NOT NULL, properties TEXT,
    PRIMARY KEY (execution_id, path)
);
CREATE TABLE IF NOT EXISTS metadata (
    execution_id TEXT NOT NULL REFERENCES executions(id), seq INTEGER NOT NULL,
    time REAL NOT NULL, record TEXT NOT NULL, PRIMARY KEY (execution_id, seq)
);
"""

_JSON_COLUMNS = ("parameters", "inputs", "env", "options", "properties", "record")


def _row(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    out = dict(row)
    for key in _JSON_COLUMNS:
        if out.get(key) is not None:
            out[key] = json.loads(out[key])
    return out


class RunStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in (_row(x) for x in self._db.execute(sql, args).fetchall()) if r]

    # runs -----------------------------------------------------------------
    def create_run(self, run_id: str, **fields: Any) -> None:
        fields = {"status": "running", "pid": os.getpid(), "host": socket.gethostname(), **fields}
        if "options" in fields:
            fields["options"] = json.dumps(fields["options"])
        cols = ", ".join(["id", *fields])
        marks = ", ".join("?" * (len(fields) + 1))
        with self._tx() as db:
            db.execute(f"INSERT INTO runs ({cols}) VALUES ({marks})", (run_id, *fields.values()))

    def finish_run(self, run_id: str, status: str, ended: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE runs SET status=?, ended=? WHERE id=?", (status, ended, run_id))

    def runs(self, limit: int = 50, yaml_path: str | None = None) -> list[dict[str, Any]]:
        """The newest runs first; with ``yaml_path``, only the runs of that file."""
        if yaml_path is not None:
            return self._query(
                "SELECT * FROM runs WHERE yaml_path=? ORDER BY started DESC LIMIT ?", (yaml_path, limit)
            )
        return self._query("SELECT * FROM runs ORDER BY started DESC LIMIT ?", (limit,))

    def run(self, run_id: str) -> dict[str, Any] | None:
        if run_id == "latest":
            rows = self.runs(limit=1)
            return rows[0] if rows else None
        rows = self._query("SELECT * FROM runs WHERE id=?", (run_id,))
        return rows[0] if rows else None

    def stale_runs(self) -> list[dict[str, Any]]:
        """Runs still marked running whose process on this host is gone (killed mid-run)."""
        host = socket.gethostname()
        stale = []
        for run in self._query("SELECT * FROM runs WHERE status='running'"):
            if run["host"] == host and run["pid"] and _pid_alive(run["pid"]):
                continue
            stale.append(run)
        return stale

    def mark_interrupted(self, run_id: str, ended: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE runs SET status='interrupted', ended=? WHERE id=?", (ended, run_id))
            db.execute(
                "UPDATE executions SET status='interrupted', ended=? WHERE run_id=? "
                "AND status IN ('running', 'pending')",
                (ended, run_id),
            )

    # executions -------------------------------------------------------------
    def upsert_execution(self, execution_id: str, **fields: Any) -> None:
        for key in ("parameters", "inputs", "env"):
            if key in fields:
                fields[key] = json.dumps(fields[key])
        with self._tx() as db:
            exists = db.execute("SELECT 1 FROM executions WHERE id=?", (execution_id,)).fetchone()
            if exists:
                sets = ", ".join(f"{k}=?" for k in fields)
                db.execute(f"UPDATE executions SET {sets} WHERE id=?", (*fields.values(), execution_id))
            else:
                cols = ", ".join(["id", *fields])
                marks = ", ".join("?" * (len(fields) + 1))
                db.execute(
                    f"INSERT INTO executions ({cols}) VALUES ({marks})", (execution_id, *fields.values())
                )

    def executions(self, run_id: str) -> list[dict[str, Any]]:
        return self._query("SELECT * FROM executions WHERE run_id=? ORDER BY started, node", (run_id,))

    def execution(self, run_id: str, node: str) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM executions WHERE run_id=? AND node=?", (run_id, node))
        return rows[0] if rows else None

    def find_reusable(self, reuse_key: str) -> dict[str, Any] | None:
        rows = self._query(
            "SELECT * FROM executions WHERE reuse_key=? AND status='succeeded' ORDER BY ended DESC LIMIT 1",
            (reuse_key,),
        )
        return rows[0] if rows else None

    # outputs and metadata -----------------------------------------------------
    def add_outputs(self, execution_id: str, outputs: list[dict[str, Any]]) -> None:
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO outputs (execution_id, path, sha256, size, properties) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (execution_id, o["path"], o["sha256"], o["size"], json.dumps(o.get("properties")))
                    for o in outputs
                ],
            )

    def outputs(self, execution_id: str) -> list[dict[str, Any]]:
        return self._query("SELECT * FROM outputs WHERE execution_id=? ORDER BY path", (execution_id,))

    def add_metadata(self, execution_id: str, seq: int, time: float, record: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO metadata (execution_id, seq, time, record) VALUES (?, ?, ?, ?)",
                (execution_id, seq, time, json.dumps(record)),
            )

    def metadata(self, execution_id: str) -> list[dict[str, Any]]:
        rows = self._query("SELECT record FROM metadata WHERE execution_id=? ORDER BY seq", (execution_id,))
        return [r["record"] for r in rows]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
