"""What an execution ran with, and what came from where: code snapshots, the hash cache of
code files, reuse candidates and lineage queries by content hash.

A code snapshot is a manifest (path, kind, sha256, size, link target) whose files are blobs of
the artifact store; its id is the sha256 of the manifest, so identical folders share one row
and every run referencing a blob is found through ``snapshot_files`` (and the ``blob_refs``
view, which lists every blob any run or execution references).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from runner.store import metric_index
from runner.store.connection import StoreConnection


class ExecutionRecords(StoreConnection):
    # code snapshots ------------------------------------------------------------------
    def has_snapshot(self, snapshot_id: str) -> bool:
        return bool(self._query("SELECT 1 FROM code_snapshots WHERE id=?", (snapshot_id,)))

    def add_snapshot(self, snapshot_id: str, files: Iterable[dict[str, Any]]) -> None:
        """Record a snapshot's manifest once (``files``: path, kind F/X/L, sha256, size, target)."""
        rows = [
            (snapshot_id, f["path"], f["kind"], f.get("sha256"), f["size"], f.get("target")) for f in files
        ]
        with self._tx() as db:
            if db.execute("SELECT 1 FROM code_snapshots WHERE id=?", (snapshot_id,)).fetchone():
                return
            db.execute(
                "INSERT INTO code_snapshots (id, created, files, bytes) VALUES (?, ?, ?, ?)",
                (snapshot_id, time.time(), len(rows), sum(r[4] for r in rows)),
            )
            db.executemany(
                "INSERT INTO snapshot_files (snapshot_id, path, kind, sha256, size, target) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

    def snapshot_files(self, snapshot_id: str) -> list[dict[str, Any]]:
        return self._query(
            "SELECT path, kind, sha256, size, target FROM snapshot_files WHERE snapshot_id=? ORDER BY path",
            (snapshot_id,),
        )

    # the hash cache of code files ------------------------------------------------------
    def cached_hashes(self, prefix: str) -> dict[str, tuple[int, int, int, str]]:
        """Absolute path -> (size, mtime_ns, inode, sha256) for files under ``prefix``."""
        rows = self._query(
            "SELECT path, size, mtime_ns, inode, sha256 FROM file_hashes WHERE path >= ? AND path < ?",
            (prefix, prefix + "\U0010ffff"),
        )
        return {r["path"]: (r["size"], r["mtime_ns"], r["inode"], r["sha256"]) for r in rows}

    def put_hashes(self, rows: Iterable[tuple[str, int, int, int, str]]) -> None:
        rows = list(rows)
        if not rows:
            return
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO file_hashes (path, size, mtime_ns, inode, sha256) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    # reuse -------------------------------------------------------------------------------
    def reuse_candidates(self, base_key: str, limit: int = 20) -> list[dict[str, Any]]:
        """Succeeded executions that ran (not reused) with this key of everything but the
        code, newest first: one of them is reusable if the code it depended on is unchanged."""
        return self._query(
            "SELECT * FROM executions WHERE base_key=? AND status='succeeded' AND reused_from IS NULL "
            "ORDER BY ended DESC LIMIT ?",
            (base_key, limit),
        )

    def previous_execution(self, node: str, step: str | None, before: float) -> dict[str, Any] | None:
        """The newest execution of the same node and step that ran before ``before`` (to say
        what changed when nothing could be reused)."""
        rows = self._query(
            "SELECT * FROM executions WHERE node=? AND step IS ? AND base_key IS NOT NULL "
            "AND status IN ('succeeded', 'failed') AND reused_from IS NULL AND started < ? "
            "ORDER BY started DESC LIMIT 1",
            (node, step, before),
        )
        return rows[0] if rows else None

    # lineage -----------------------------------------------------------------------------
    def producers(self, sha256: str) -> list[dict[str, Any]]:
        """Executions that wrote a file with this content (oldest first), reuses included,
        each with the output ``path``."""
        return self._query(
            "SELECT e.*, o.path AS output_path FROM outputs o JOIN executions e ON e.id = o.execution_id "
            "WHERE o.sha256=? ORDER BY e.started, e.ended",
            (sha256,),
        )

    def consumers(self, sha256: str) -> list[dict[str, Any]]:
        """Executions that got a file with this content as an input (oldest first), each with
        its ``input`` name and the file ``input_name``."""
        return self._query(
            "SELECT e.*, i.input AS input, i.name AS input_name FROM execution_inputs i "
            "JOIN executions e ON e.id = i.execution_id WHERE i.sha256=? ORDER BY e.started, e.ended",
            (sha256,),
        )

    def referenced_blobs(self, run_id: str) -> list[dict[str, Any]]:
        """Every blob a run references (outputs, inputs, code, YAML text, git diff), with its role."""
        return self._query(
            "SELECT DISTINCT sha256, execution_id, role FROM blob_refs WHERE run_id=? ORDER BY role, sha256",
            (run_id,),
        )

    # export and import ----------------------------------------------------------------
    def rows_of_run(self, run_id: str) -> dict[str, list[dict[str, Any]]]:
        """Every row that belongs to a run, table by table, as stored (JSON columns as text):
        the run, its executions, whatever refers to them or to its code snapshots. Tables added
        by later migrations come along when they have a run_id, execution_id or snapshot_id."""
        with self._guard():
            db = self._db
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            executions = [r[0] for r in db.execute("SELECT id FROM executions WHERE run_id=?", (run_id,))]
            snapshots = {
                r[0]
                for r in db.execute(
                    "SELECT snapshot_id FROM runs WHERE id=? "
                    "UNION SELECT snapshot_id FROM executions WHERE run_id=?",
                    (run_id, run_id),
                )
                if r[0]
            }
            out: dict[str, list[dict[str, Any]]] = {}
            for table in tables:
                if table.startswith("sqlite_") or table in _NOT_EXPORTED:
                    continue
                cols = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
                column, ids = _owner(table, cols, run_id, executions, snapshots)
                if column is None:
                    continue
                rows: list[dict[str, Any]] = []
                for start in range(0, len(ids), 500):
                    chunk = ids[start : start + 500]
                    marks = ", ".join("?" * len(chunk))
                    cur = db.execute(f"SELECT * FROM {table} WHERE {column} IN ({marks})", tuple(chunk))
                    rows.extend(dict(zip(cols, r, strict=True)) for r in cur.fetchall())
                out[table] = rows
            return out

    def insert_rows(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        """Add exported rows (``rows_of_run``'s shape) in one transaction; columns this store
        lacks are dropped, rows already present are kept as they are. The metadata records'
        numeric index is built here from the records."""
        with self._tx() as db:
            known = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            for table, rows in tables.items():
                if table not in known or table in _NOT_EXPORTED or not rows:
                    continue
                cols = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
                for row in rows:
                    keep = {k: v for k, v in row.items() if k in cols}
                    names = ", ".join(keep)
                    marks = ", ".join("?" * len(keep))
                    db.execute(
                        f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({marks})", tuple(keep.values())
                    )
            writer = metric_index.IndexWriter()
            for execution_id in sorted({r["execution_id"] for r in tables.get("metadata", [])}):
                metric_index.rebuild(db, writer, execution_id)


# About this machine's files, not about a run; derived from the records (rebuilt on import).
_NOT_EXPORTED = {"file_hashes", *metric_index.TABLES}


def _owner(
    table: str, cols: list[str], run_id: str, executions: list[str], snapshots: set[str]
) -> tuple[str | None, list[str]]:
    """Which column ties a table's rows to the run, and the values it takes."""
    if table == "runs":
        return "id", [run_id]
    if table == "code_snapshots":
        return "id", sorted(snapshots)
    if "run_id" in cols:
        return "run_id", [run_id]
    if "execution_id" in cols:
        return "execution_id", executions
    if "snapshot_id" in cols:
        return "snapshot_id", sorted(snapshots)
    return None, []
