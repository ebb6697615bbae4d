"""An execution's metadata records, read back exactly as printed (JSON) or as numeric series
(``runner.store.metric_index``, which ``add_metadata_batch`` keeps up to date in the records'
transaction; records written another way are still read, decoded from their JSON).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import Any

from runner.store import metric_index
from runner.store.connection import StoreConnection
from runner.store.metric_index import IndexWriter, StoredMetrics

# (seq, time, record) or (seq, time, record, its JSON text)
MetadataRow = tuple[int, float, dict[str, Any]] | tuple[int, float, dict[str, Any], str]

# Rows a statement inserts: SQLite's per-row cost is mostly the statement's step (and the
# interpreter lock given up and taken back around each), so a step printing 100,000 lines a
# second is stored many rows a statement (4 x 64 values: well under SQLite's limit of 32,766).
ROWS_PER_INSERT = 64
_INSERT = "INSERT INTO metadata (execution_id, seq, time, record) VALUES "
_INSERT_ONE = _INSERT + "(?, ?, ?, ?)"
_INSERT_MANY = _INSERT + ", ".join(["(?, ?, ?, ?)"] * ROWS_PER_INSERT)


def _insert(db: sqlite3.Connection, params: list[tuple[str, int, float, str]]) -> None:
    """``params`` rows into ``metadata``: whole groups of ROWS_PER_INSERT a statement, the rest
    one a statement (two cached statements, whatever the batch's size)."""
    whole = len(params) - len(params) % ROWS_PER_INSERT
    if whole:
        flat = list(chain.from_iterable(params[:whole]))
        width = 4 * ROWS_PER_INSERT
        db.executemany(_INSERT_MANY, [flat[i : i + width] for i in range(0, len(flat), width)])
    if whole < len(params):
        db.executemany(_INSERT_ONE, params[whole:])


class MetricRecords(StoreConnection):
    def __init__(self, path: Path) -> None:
        self._index = IndexWriter()
        super().__init__(path)

    def add_metadata(self, execution_id: str, seq: int, time: float, record: dict[str, Any]) -> None:
        self.add_metadata_batch(execution_id, [(seq, time, record)])

    def add_metadata_batch(self, execution_id: str, rows: Sequence[MetadataRow]) -> None:
        """Records ``(seq, time, record)`` of one execution, in seq order, in one transaction; a
        row's fourth item, when there, is the record's JSON text (the line as printed, with its
        ``_time``: runner.execution.ingest), stored as it is instead of encoding the record."""
        if not rows:
            return
        dumps = json.dumps
        params = [(execution_id, r[0], r[1], r[3] if len(r) > 3 else dumps(r[2])) for r in rows]  # type: ignore[misc]
        try:
            with self._tx() as db:
                _insert(db, params)
                self._index.written(db, execution_id, [(r[0], r[2]) for r in rows])
        except BaseException:  # rolled back: what the index remembers of it is wrong now
            self._index.forget(execution_id)
            raise

    def seal_metrics(self, execution_id: str) -> None:
        """Index the execution's pending records (it has ended: nothing is left to decode)."""
        with self._tx() as db:
            self._index.seal(db, execution_id)

    def metadata(self, execution_id: str) -> list[dict[str, Any]]:
        """The records as printed (each JSON value as it was), in order."""
        rows = self._query("SELECT record FROM metadata WHERE execution_id=? ORDER BY seq", (execution_id,))
        return [r["record"] for r in rows]

    def metric_series(self, execution_id: str) -> StoredMetrics:
        """Every numeric key's series and the records' times (the index, plus the records it
        does not cover yet decoded from their JSON)."""
        with self._guard():
            return metric_index.read(self._db, execution_id)

    def last_metric_values(self, execution_id: str) -> dict[str, float]:
        """Each numeric key's latest value (the one in the last record that has it)."""
        with self._guard():
            return metric_index.last_values(self._db, execution_id)

    def reindex_metrics(self, execution_id: str) -> None:
        with self._tx() as db:
            metric_index.rebuild(db, self._index, execution_id)

    def add_metric_columns(self, execution_id: str, first_seq: int, columns: dict[str, bytes]) -> None:
        """Bulk import of the index of records ``first_seq`` … that have every key of ``columns``
        (key -> packed little-endian float64, ``_time`` among them); their JSON rows are the
        caller's to write in the same way (a benchmark's 10 M records)."""
        with self._tx() as db:
            for key, vals in columns.items():
                metric_index.write_dense(db, execution_id, key, first_seq, vals)
        self._index.forget(execution_id)
