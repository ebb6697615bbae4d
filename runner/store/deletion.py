"""Deleting runs from the store (``pipeline-designer gc``): a run's rows in every table.

Tables are found by their columns, as export does (runner.store.records): whatever has a
``run_id`` or an ``execution_id`` column goes with the run, so tables added by later migrations
(metric blocks, system samples) need nothing here. Code snapshots are shared between runs by
content: one goes when no run and no execution names it any more.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from runner.store.connection import StoreConnection

_KEEP = {"runs", "executions", "code_snapshots", "snapshot_files", "file_hashes"}


class RunDeletion(StoreConnection):
    def delete_runs(self, run_ids: Iterable[str]) -> int:
        """Delete these runs and everything recorded of them, one transaction per run (a run
        writing meanwhile waits a moment, never sees half a run); how many were there."""
        deleted = 0
        for run_id in run_ids:
            with self._tx() as db:
                tables = _tables(db)
                executions = [r[0] for r in db.execute("SELECT id FROM executions WHERE run_id=?", (run_id,))]
                for table, cols in tables.items():
                    if table in _KEEP:
                        continue
                    if "execution_id" in cols:
                        for start in range(0, len(executions), 500):  # SQLite's host-parameter limit
                            chunk = executions[start : start + 500]
                            marks = ", ".join("?" * len(chunk))
                            db.execute(f"DELETE FROM {table} WHERE execution_id IN ({marks})", chunk)
                    elif "run_id" in cols:
                        db.execute(f"DELETE FROM {table} WHERE run_id=?", (run_id,))
                db.execute("DELETE FROM executions WHERE run_id=?", (run_id,))
                deleted += db.execute("DELETE FROM runs WHERE id=?", (run_id,)).rowcount
        return deleted

    def delete_orphan_snapshots(self, created_before: float) -> int:
        """Code snapshots no run or execution names, recorded before ``created_before`` (a run
        starting now records its snapshot a moment before it names it)."""
        orphans = (
            "SELECT id FROM code_snapshots WHERE created < ? AND id NOT IN "
            "(SELECT snapshot_id FROM runs WHERE snapshot_id IS NOT NULL "
            "UNION SELECT snapshot_id FROM executions WHERE snapshot_id IS NOT NULL)"
        )
        with self._tx() as db:
            ids = [r[0] for r in db.execute(orphans, (created_before,))]
            for snapshot_id in ids:
                db.execute("DELETE FROM snapshot_files WHERE snapshot_id=?", (snapshot_id,))
                db.execute("DELETE FROM code_snapshots WHERE id=?", (snapshot_id,))
        return len(ids)

    def run_rows(self) -> list[dict[str, Any]]:
        """Every run's id, pipeline, step, file, status, times and process, newest first."""
        return self._query(
            "SELECT id, pipeline, step, yaml_path, status, started, ended, pid, pid_start, host FROM runs "
            "ORDER BY started DESC"
        )

    def hosts_of_runs(self, run_ids: Iterable[str]) -> set[str]:
        """The hosts (as recorded per execution) that ran nodes of these runs."""
        wanted = set(run_ids)
        rows = self._query("SELECT DISTINCT run_id, host FROM executions WHERE host IS NOT NULL")
        return {r["host"] for r in rows if r["run_id"] in wanted}

    def blob_users(self, exclude_runs: Iterable[str] = ()) -> set[str]:
        """Every blob some run references (``blob_refs``: outputs, inputs, code, YAML, git diff),
        leaving out the runs in ``exclude_runs`` (those about to be deleted)."""
        excluded = set(exclude_runs)
        rows = self._query("SELECT DISTINCT sha256, run_id FROM blob_refs")
        return {r["sha256"] for r in rows if r["run_id"] not in excluded}

    def runs_using(self, hashes: Iterable[str]) -> dict[str, list[str]]:
        """Blob -> the runs referencing it (sorted), for the blobs given."""
        wanted = set(hashes)
        out: dict[str, set[str]] = {}
        for r in self._query("SELECT DISTINCT sha256, run_id FROM blob_refs"):
            if r["sha256"] in wanted:
                out.setdefault(r["sha256"], set()).add(r["run_id"])
        return {sha: sorted(ids) for sha, ids in out.items()}


def _tables(db: Any) -> dict[str, list[str]]:
    names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    return {
        n: [c[1] for c in db.execute(f"PRAGMA table_info({n})")] for n in names if not n.startswith("sqlite_")
    }
