"""Read the run store for the GUI (runs browser, Run this node, loading a past run).

Each call opens the store briefly and closes it: the executor writes through its own connection
and SQLite's WAL lets us read meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.api import (
    compare,
    is_earlier_attempt,
    lineage,
    metric_last_values,
    open_store,
    plan_reproduction,
    split_unit,
)
from runner.events import OK_STATUSES, TERMINAL_STATUSES

LOG_TAIL_BYTES = 4 * 1024 * 1024  # a past node's log is read from its end, at most this much
LAST_RECORDS = 200  # the runs browser's "last value" of a key looks this far back


@dataclass
class RunSummary:
    id: str
    pipeline: str | None
    step: str | None
    status: str
    started: float
    ended: float | None
    yaml_path: str | None
    last_metrics: dict[str, Any] = field(default_factory=dict)  # node -> {key: last value}
    tags: list[str] = field(default_factory=list)
    note: str | None = None
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # node -> its parameter values

    @property
    def duration(self) -> float | None:
        return self.ended - self.started if self.ended else None


class RunHistory:
    def __init__(self, home: Path | None = None) -> None:
        self.home = home
        self._final: dict[str, dict[str, Any]] = {}  # execution id -> its final metric values

    @contextmanager
    def _store(self) -> Iterator[tuple[Any, Any]]:
        _home, store, artifacts = open_store(self.home)
        try:
            yield store, artifacts
        finally:
            store.close()

    def artifact_path(self, sha256: str) -> Path:
        with self._store() as (_s, artifacts):
            return Path(artifacts.path_for(sha256))

    def runs(self, limit: int = 100, with_metrics: bool = True, **filters: Any) -> list[RunSummary]:
        """``filters``: ``RunStore.runs``' (file, pipeline, status, tag, params)."""
        out = []
        with self._store() as (store, _a), contextlib.ExitStack() as stack:
            db = (
                stack.enter_context(contextlib.closing(self._read_only(store.path))) if with_metrics else None
            )
            for r in store.runs(limit=limit, **filters):
                summary = RunSummary(
                    r["id"], r["pipeline"], r["step"], r["status"], r["started"], r["ended"], r["yaml_path"]
                )
                summary.tags, summary.note = list(r.get("tags") or []), r.get("note")
                if with_metrics:
                    for e in store.executions(r["id"]):
                        last = self._final.get(e["id"])
                        if last is None:
                            last = self._last_values(db, e["id"])
                            if e["status"] in TERMINAL_STATUSES:  # a finished execution's never change
                                self._final[e["id"]] = last
                        if last:
                            summary.last_metrics[e["node"]] = last
                        if split_unit(e["node"])[1] is None and not is_earlier_attempt(e["node"]):
                            summary.params[e["node"]] = dict(e.get("parameters") or {})
                out.append(summary)
        return out

    @staticmethod
    def _read_only(db_path: Path) -> sqlite3.Connection:
        """One read-only connection for a whole listing (not one per execution)."""
        return sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True, timeout=5)

    @staticmethod
    def _last_values(db: Any, execution_id: str) -> dict[str, Any]:
        """Latest value of each key: numeric keys from the store's per-key index (a value printed
        once, however long ago, is there), the others among the last LAST_RECORDS records.

        Read straight from SQLite (read-only, newest first) so listing runs with long metric
        histories does not decode every record on the GUI thread.
        """
        out: dict[str, Any] = dict(metric_last_values(db, execution_id))
        rows = db.execute(
            "SELECT record FROM metadata WHERE execution_id=? ORDER BY seq DESC LIMIT ?",
            (execution_id, LAST_RECORDS),
        ).fetchall()
        for (text,) in reversed(rows):
            out.update(json.loads(text))
        out.pop("_time", None)
        return out

    def all_tags(self) -> list[str]:
        """Every tag some run carries (the tag filter's choices)."""
        with self._store() as (store, _a):
            return list(store.all_tags())

    def set_tags(self, run_id: str, tags: list[str]) -> list[str]:
        with self._store() as (store, _a):
            return list(store.set_run_tags(run_id, tags))

    def set_note(self, run_id: str, text: str) -> None:
        with self._store() as (store, _a):
            store.set_run_note(run_id, text)

    def run(self, run_id: str) -> dict[str, Any] | None:
        with self._store() as (store, _a):
            return store.run(run_id)

    def executions(self, run_id: str) -> list[dict[str, Any]]:
        with self._store() as (store, _a):
            return store.executions(run_id)

    def execution(self, run_id: str, node: str) -> dict[str, Any] | None:
        with self._store() as (store, _a):
            return store.execution(run_id, node)

    def metadata(self, execution_id: str) -> list[dict[str, Any]]:
        with self._store() as (store, _a):
            return store.metadata(execution_id)

    def metric_series(self, execution_id: str) -> Any:
        """The execution's numeric series from the store's per-key index (``StoredMetrics``)."""
        with self._store() as (store, _a):
            return store.metric_series(execution_id)

    def system_samples(self, execution: dict[str, Any]) -> tuple[list[Any], str]:
        """An execution's system samples and GPU note (a reused one's: those of its original)."""
        execution_id = execution.get("reused_from") or execution["id"]
        with self._store() as (store, _a):
            return store.system_samples(execution_id), store.gpu_note(execution_id)

    def outputs(self, execution_id: str) -> list[dict[str, Any]]:
        with self._store() as (store, _a):
            return store.outputs(execution_id)

    def log_text(self, execution: dict[str, Any]) -> str:
        path = execution.get("log_path")
        if not path or not Path(path).is_file():
            return ""
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - LOG_TAIL_BYTES))
            return fh.read().decode("utf-8", errors="replace")

    def latest_executions(
        self, nodes: list[str], pipeline: str | None, yaml_path: str | None, exclude_run: str | None = None
    ) -> dict[str, dict[str, Any]]:
        """Each node's newest finished execution in runs of the same pipeline/file (one store visit)."""
        wanted, found = set(nodes), {}
        with self._store() as (store, _a):
            for run in store.runs(limit=200):
                if run["id"] == exclude_run or run["pipeline"] != pipeline:
                    continue
                if yaml_path and run["yaml_path"] != yaml_path:
                    continue
                for row in store.executions(run["id"]):
                    node = row["node"]
                    if node in wanted and node not in found and row["status"] in TERMINAL_STATUSES:
                        found[node] = row
                if len(found) == len(wanted):
                    break
        return found

    def latest_ok_execution(
        self, node: str, pipeline: str | None, yaml_path: str | None, limit: int = 200
    ) -> dict[str, Any] | None:
        """The newest succeeded (or reused) execution of ``node`` in runs of the same pipeline/file."""
        with self._store() as (store, _a):
            for run in store.runs(limit=limit):
                if run["pipeline"] != pipeline or (yaml_path and run["yaml_path"] != yaml_path):
                    continue
                row = store.execution(run["id"], node)
                if row is not None and row["status"] in OK_STATUSES:
                    return row
        return None

    # --- what the store says about where things came from (runner.store.compare / lineage) ------
    def compare(self, a: str, b: str) -> Any:
        """Two runs side by side: code (a diff per file), parameters, image, inputs, env, metrics."""
        with self._store() as (store, artifacts):
            return compare.compare(store, artifacts, (store.run(a), None), (store.run(b), None))

    def lineage(self, run_id: str, node: str) -> Any:
        """The execution's inputs back to where each came from (``lineage.Upstream``), or None."""
        with self._store() as (store, _a):
            row = store.execution(run_id, node)
            return lineage.upstream(store, row) if row is not None else None

    def file_lineage(self, sha256: str, run_id: str, node: str) -> tuple[Any, list[dict[str, Any]]]:
        """(the producer's upstream tree or None, every execution that consumed the content)."""
        with self._store() as (store, _a):
            made = lineage.producer(store, sha256, run_id, node)
            tree = lineage.upstream(store, made) if made is not None else None
            if tree is not None:
                tree.output_path = next(
                    (o["path"] for o in store.outputs(tree.execution["id"]) if o["sha256"] == sha256), None
                )
            return tree, lineage.consumers(store, sha256)

    def reproduction(self, target: str) -> Any:
        """``plan_reproduction`` on this history's store (raises ReproduceError)."""
        return plan_reproduction(target, self.home)
