"""The per-key numeric index says what the JSON records say, however the records were batched,
and it rebuilds itself when it does not cover the records (real SQLite files)."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.store import metric_index
from runner.store.db import RunStore
from runner.store.metric_index import BLOCK, pack
from tests.runner.store.metric_series import series_from_json, series_of


@pytest.fixture
def store(tmp_path: Path):
    s = RunStore(tmp_path / "runs.sqlite3")
    s.create_run("r1", started=1.0)
    s.upsert_execution("e1", run_id="r1", node="train", status="running")
    s.upsert_execution("e2", run_id="r1", node="eval", status="running")
    yield s
    s.close()


def _write(store: RunStore, records: list[dict[str, Any]], sizes: list[int], execution: str = "e1") -> None:
    seq, i = 0, 0
    while seq < len(records):
        n = max(1, sizes[i % len(sizes)]) if sizes else len(records)
        store.add_metadata_batch(
            execution, [(s, 1.0, records[s]) for s in range(seq, min(seq + n, len(records)))]
        )
        seq, i = seq + n, i + 1


VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.text(max_size=3),
    st.none(),
)
RECORD = st.dictionaries(st.sampled_from(["loss", "acc", "epoch", "note", "_time"]), VALUES, max_size=4)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=st.lists(RECORD, max_size=60),
    sizes=st.lists(st.integers(1, 25), max_size=5),
    block=st.sampled_from([3, 7, BLOCK]),
)
def test_index_holds_every_numeric_value_of_every_record(
    store: RunStore, monkeypatch: pytest.MonkeyPatch, records, sizes, block
) -> None:
    monkeypatch.setattr(metric_index, "BLOCK", block)  # small blocks: many block boundaries
    with store._tx() as db:
        db.execute("DELETE FROM metadata WHERE execution_id='e1'")
    store.reindex_metrics("e1")  # nothing left of the previous example
    _write(store, records, sizes)
    assert series_of(store.metric_series("e1")) == series_from_json(store.metadata("e1"))
    expected = {}
    for r in store.metadata("e1"):
        expected.update({k: v for k, v in r.items() if k != "_time" and series_from_json([{k: v}]).get(k)})
    got = store.last_metric_values("e1")
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert (
            got[key] == float(value)
            or (math.isnan(got[key]) and math.isnan(value))
            or (math.isinf(got[key]) and abs(value) > 1.7e308)
        )


def test_a_key_in_every_record_is_stored_as_blocks_of_values_only(store: RunStore) -> None:
    records = [{"loss": 1 / (i + 1), "_time": i} for i in range(3 * BLOCK + 5)]
    _write(store, records, [100])  # small batches: pending until a block's worth gathers
    _write(store, [{"loss": 0.5, "_time": 0}] * 1000, [1000], "e2")
    assert _blocks(store) == [("e1", BLOCK, 1)] * 3
    stored = store.metric_series("e1")  # the pending records are read too
    assert stored.records == len(records) and stored.record_seqs is None
    assert stored.keys["loss"].seqs is None  # one value per record: no seqs kept
    assert series_of(stored) == series_from_json(records)
    for execution in ("e1", "e2"):  # an execution that ends gets the rest indexed
        store.upsert_execution(execution, status="succeeded")
    assert _blocks(store) == [("e1", BLOCK, 1)] * 3 + [("e1", 5, 1), ("e2", 1000, 1)]
    assert series_of(store.metric_series("e1")) == series_from_json(records)


def _blocks(store: RunStore) -> list[tuple[str, int, int]]:
    with sqlite3.connect(store.path) as db:
        return db.execute(
            "SELECT execution_id, count, seqs IS NULL FROM metric_blocks WHERE key='loss' "
            "ORDER BY 1, first_seq"
        ).fetchall()


def test_records_written_past_the_index_are_read_from_their_json(store: RunStore) -> None:
    _write(store, [{"loss": float(i)} for i in range(50)], [10])
    store.seal_metrics("e1")
    with sqlite3.connect(store.path) as db:  # another writer adds records without indexing them
        db.execute(
            "INSERT INTO metadata (execution_id, seq, time, record) VALUES ('e1', 50, 1.0, ?)",
            (json.dumps({"loss": 99.0, "acc": 0.5}),),
        )
    assert series_of(store.metric_series("e1")) == series_from_json(store.metadata("e1"))
    assert store.last_metric_values("e1") == {"loss": 99.0, "acc": 0.5}
    store.reindex_metrics("e1")
    assert series_of(store.metric_series("e1")) == series_from_json(store.metadata("e1"))


def test_bulk_columns_read_back_like_written_records(store: RunStore) -> None:
    n = 2 * BLOCK + 3
    records = [{"loss": i / 8, "_time": 100.0 + i} for i in range(n)]
    with store._tx() as db:  # JSON rows as a bulk loader writes them, the index beside them
        db.executemany(
            "INSERT INTO metadata (execution_id, seq, time, record) VALUES ('e1', ?, 1.0, ?)",
            [(i, json.dumps(r)) for i, r in enumerate(records)],
        )
    store.add_metric_columns(
        "e1",
        0,
        {"loss": pack("d", (r["loss"] for r in records)), "_time": pack("d", (r["_time"] for r in records))},
    )
    assert series_of(store.metric_series("e1")) == series_from_json(records)
