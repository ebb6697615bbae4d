"""SQLite (WAL) store of runs, executions, outputs and metadata records.

The connection, its lock and the schema's migrations: runner.store.connection and
runner.store.schema. What an execution ran with (code snapshots) and lineage queries:
runner.store.records. Metadata records and their per-key numeric index:
runner.store.metric_records. Its system samples: runner.store.system.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterable, Mapping
from typing import Any

from runner.events import TERMINAL_STATUSES
from runner.store.connection import StoreConnection, encode
from runner.store.deletion import RunDeletion
from runner.store.liveness import pid_alive, process_token, runner_alive
from runner.store.metric_records import MetricRecords
from runner.store.records import ExecutionRecords
from runner.store.run_filter import run_filter
from runner.store.schema import input_rows
from runner.store.system import SystemRecords


class RunStore(ExecutionRecords, MetricRecords, SystemRecords, RunDeletion, StoreConnection):
    # runs -----------------------------------------------------------------
    def create_run(self, run_id: str, **fields: Any) -> None:
        me = {"status": "running", "pid": os.getpid(), "pid_start": process_token(os.getpid())}
        fields = encode({**me, "host": socket.gethostname(), **fields})
        with self._tx() as db:
            self._insert_or_update(db, "runs", run_id, fields)

    def update_run(self, run_id: str, **fields: Any) -> None:
        """Set columns of a run (its code snapshot, git state, YAML text once they are known)."""
        with self._tx() as db:
            self._insert_or_update(db, "runs", run_id, encode(fields))

    def finish_run(self, run_id: str, status: str, ended: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE runs SET status=?, ended=? WHERE id=?", (status, ended, run_id))

    def runs(
        self,
        limit: int = 50,
        *,
        file: str | None = None,
        pipeline: str | None = None,
        status: str | Iterable[str] | None = None,
        tag: str | Iterable[str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Runs newest first, each with its ``tags`` (a sorted list); the filters combine (AND).

        ``file``: the run's YAML path as recorded (absolute); ``status``: one or any of several;
        ``tag``: carries this tag (several: all of them); ``params``: ``{"lr": 0.1}`` some
        execution of the run had that parameter value, ``{"train.lr": 0.1}`` node train had it
        (values compare as JSON values, and text as the value it reads as: "0.10" == 0.1).
        """
        where, args = run_filter(file, pipeline, status, tag, params)
        rows = self._query(f"SELECT * FROM runs {where} ORDER BY started DESC LIMIT ?", (*args, limit))
        tags = self._tags_of([r["id"] for r in rows])
        for row in rows:
            row["tags"] = tags.get(row["id"], [])
        return rows

    def run(self, run_id: str) -> dict[str, Any] | None:
        if run_id == "latest":
            rows = self.runs(limit=1)
            return rows[0] if rows else None
        rows = self._query("SELECT * FROM runs WHERE id=?", (run_id,))
        if not rows:
            return None
        rows[0]["tags"] = self.run_tags(run_id)
        return rows[0]

    def set_run_tags(self, run_id: str, tags: Iterable[str]) -> list[str]:
        """Replace the run's tags (whitespace trimmed, empty and duplicate ones dropped);
        returns them sorted. KeyError for an unknown run."""
        clean = sorted({t.strip() for t in tags if t and t.strip()})
        with self._tx() as db:
            if not db.execute("SELECT 1 FROM runs WHERE id=?", (run_id,)).fetchone():
                raise KeyError(f"no run {run_id!r}")
            db.execute("DELETE FROM run_tags WHERE run_id=?", (run_id,))
            db.executemany("INSERT INTO run_tags (run_id, tag) VALUES (?, ?)", [(run_id, t) for t in clean])
        return clean

    def set_run_note(self, run_id: str, text: str | None) -> None:
        """The run's free-text note ("" or None removes it). KeyError for an unknown run."""
        with self._tx() as db:
            cur = db.execute("UPDATE runs SET note=? WHERE id=?", (text or None, run_id))
            if cur.rowcount == 0:
                raise KeyError(f"no run {run_id!r}")

    def run_tags(self, run_id: str) -> list[str]:
        return self._tags_of([run_id]).get(run_id, [])

    def all_tags(self) -> list[str]:
        """Every tag some run carries (a filter's choices)."""
        return [r["tag"] for r in self._query("SELECT DISTINCT tag FROM run_tags ORDER BY tag")]

    def _tags_of(self, run_ids: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for start in range(0, len(run_ids), 500):  # SQLite's host-parameter limit
            chunk = run_ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for r in self._query(
                f"SELECT run_id, tag FROM run_tags WHERE run_id IN ({marks}) ORDER BY tag", tuple(chunk)
            ):
                out.setdefault(r["run_id"], []).append(r["tag"])
        return out

    def stale_runs(self) -> list[dict[str, Any]]:
        """Runs still marked running whose process is gone (killed mid-run), or of another host."""
        return [r for r in self._query("SELECT * FROM runs WHERE status='running'") if not runner_alive(r)]

    def mark_dead_runs(self) -> list[str]:
        """Mark the runs of this host whose process is gone ``interrupted`` (what every reader of
        the store calls first, so a killed run never shows as running); their ids."""
        running = self._query("SELECT * FROM runs WHERE status='running'")
        dead = [r["id"] for r in running if runner_alive(r) is False]
        for run_id in dead:
            self.mark_interrupted(run_id, time.time())
        return dead

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
        inputs = fields.get("inputs")
        with self._tx() as db:
            self._insert_or_update(db, "executions", execution_id, encode(fields))
            if fields.get("status") in TERMINAL_STATUSES:  # its metric index is complete from now on
                self._index.seal(db, execution_id)
            if inputs is not None:  # indexed by content for lineage (runner.store.records)
                db.execute("DELETE FROM execution_inputs WHERE execution_id=?", (execution_id,))
                db.executemany(
                    "INSERT OR IGNORE INTO execution_inputs (execution_id, input, name, sha256, size, uri) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    input_rows(execution_id, inputs),
                )

    def executions(self, run_id: str) -> list[dict[str, Any]]:
        return self._query("SELECT * FROM executions WHERE run_id=? ORDER BY started, node", (run_id,))

    def execution(self, run_id: str, node: str) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM executions WHERE run_id=? AND node=?", (run_id, node))
        return rows[0] if rows else None

    def execution_by_id(self, execution_id: str) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM executions WHERE id=?", (execution_id,))
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


__all__ = ["RunStore", "pid_alive"]
