"""Unit tests without the engine: batching, EMA, CSV export, log search, diffs, dialog memory."""

from __future__ import annotations

import csv
import io
import queue
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from designer.bridge.batching import next_batch
from designer.bridge.node_states import NodeState
from designer.run.logs_panel import Line, find_matches, parse_log_text
from designer.run.outputs_panel import export_path, human_size, preview_kind
from designer.run.runs_browser import param_diff
from designer.run.series import GrowBuffer, MetricSource, ema, ema_extend, record_time, write_csv
from designer.run.status_badge import badge_text, format_elapsed
from runner.events import LogLine, MetadataRecord, NodeStateChanged, RunFinished, RunStarted


def _line(i: int) -> LogLine:
    return LogLine("r", "n", "stdout", f"line {i}", 0.0)


def test_batch_gathers_a_burst_into_one_batch() -> None:
    q: queue.Queue = queue.Queue()
    q.put(RunStarted("r", None, ("n",), 0.0))
    for i in range(1000):
        q.put(_line(i))
    q.put(NodeStateChanged("r", "n", "running", 0.0))
    q.put(MetadataRecord("r", "n", {"loss": 1.0}, 0.0))
    batch = next_batch(q, 0.1)
    assert batch.started is not None and len(batch.logs) == 1000
    assert [s.status for s in batch.states] == ["running"] and len(batch.records) == 1
    assert batch.finished is None


def test_batch_waits_at_most_the_period_and_returns_at_finish() -> None:
    q: queue.Queue = queue.Queue()
    t0 = time.monotonic()
    assert not next_batch(q, 0.05)  # silence: an empty batch after the period
    assert 0.04 < time.monotonic() - t0 < 0.5

    def produce() -> None:
        for i in range(5):
            q.put(_line(i))
            time.sleep(0.01)
        q.put(RunFinished("r", "succeeded", {}, 0.0))
        q.put(_line(99))  # after the end: left for nobody

    threading.Thread(target=produce).start()
    batch = next_batch(q, 10.0)  # a long period, yet it returns as soon as the run finishes
    assert batch.finished is not None and [x.text for x in batch.logs] == [f"line {i}" for i in range(5)]


def test_batches_keep_every_line_of_a_fast_producer() -> None:
    q: queue.Queue = queue.Queue()
    n = 20_000

    def produce() -> None:
        for i in range(n):
            q.put(_line(i))
        q.put(RunFinished("r", "succeeded", {}, 0.0))

    threading.Thread(target=produce).start()
    got, batches = [], 0
    while True:
        batch = next_batch(q, 0.1)
        batches += bool(batch)
        got.extend(x.text for x in batch.logs)
        if batch.finished:
            break
    assert got == [f"line {i}" for i in range(n)]  # throttled signals, never dropped data
    assert batches < 200


def _reference_ema(values: list[float], w: float) -> list[float]:
    acc, out = 0.0, []
    for i, v in enumerate(values):
        acc = w * acc + (1 - w) * v
        out.append(acc / (1 - w ** (i + 1)))
    return out


@pytest.mark.parametrize("weight", [0.0, 0.01, 0.3, 0.6, 0.9, 0.99, 0.999])
def test_ema_matches_the_plain_loop(weight: float) -> None:
    values = np.random.default_rng(1).normal(size=20_000).cumsum()
    np.testing.assert_allclose(
        ema(values, weight), _reference_ema(values.tolist(), weight), rtol=1e-9, atol=1e-9
    )


def test_ema_extends_incrementally_and_rejects_bad_weights() -> None:
    values = np.random.default_rng(2).random(10_001)
    a, carry = ema_extend(values[:4567], 0.95, 0.0, 0)
    b, _ = ema_extend(values[4567:], 0.95, carry, 4567)
    np.testing.assert_allclose(np.concatenate([a, b]), ema(values, 0.95), rtol=1e-12)
    assert ema(np.array([5.0]), 0.9)[0] == pytest.approx(5.0)  # debiased: no pull towards 0
    for bad in (1.0, -0.1):
        with pytest.raises(ValueError, match="smoothing weight"):
            ema(values, bad)


def test_metric_source_aligns_keys_and_skips_non_numbers() -> None:
    src = MetricSource("run1", "train")
    src.add_records(
        [
            {"epoch": 1, "loss": 0.5, "_time": "2026-01-01T00:00:00Z", "note": "x"},
            {"epoch": 2, "loss": 0.4, "acc": 0.7, "flag": True, "_time": "2026-01-01T00:00:02Z"},
            {"epoch": 3, "_time": "2026-01-01T00:00:03Z"},
        ]
    )
    assert set(src.columns) == {"epoch", "loss", "acc"}
    x, y = src.xy("loss", "epoch")
    assert x.tolist() == [1, 2] and y.tolist() == [0.5, 0.4]
    x, y = src.xy("acc", "record index")
    assert x.tolist() == [1] and y.tolist() == [0.7]
    x, _y = src.xy("loss", "wall time")
    assert x.tolist() == [0.0, 2.0]
    assert record_time("not a time") != record_time("not a time")  # NaN


def test_grow_buffer_doubles_and_keeps_values() -> None:
    buf = GrowBuffer(4)
    for i in range(10):
        buf.append(i)
    buf.extend(np.arange(10, 1000, dtype=float))
    assert buf.view().tolist() == list(range(1000))


def test_csv_export_has_one_row_per_point() -> None:
    a, b = MetricSource("run-aaaaaa", "train"), MetricSource("run-bbbbbb", "train")
    a.add_records([{"epoch": i, "loss": 1 / (i + 1)} for i in range(5)])
    b.add_records([{"epoch": i, "loss": 2 / (i + 1), "acc": 0.5} for i in range(3)])
    out = io.StringIO()
    assert write_csv(out, [a, b], ["loss", "acc"], "epoch") == 5 + 3 + 3
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["run", "node", "epoch", "key", "value"]
    assert rows[1] == ["run-aaaaaa", "train", "0.0", "loss", "1.0"]
    assert sum(1 for r in rows if r[3] == "acc") == 3


def test_log_search_and_stored_log_parsing() -> None:
    lines = [Line("stdout", "Epoch 1 loss"), Line("stderr", "WARNING low memory"), Line("stdout", "epoch 2")]
    assert find_matches(lines, "epoch") == [0, 2]
    assert find_matches(lines, "Epoch", case_sensitive=True) == [0]
    assert find_matches(lines, "") == [] and find_matches(lines, "absent") == []
    text = (
        "2026-01-01T00:00:00Z runner started\n"
        '2026-01-01T00:00:01Z stdout {"loss": 1}\n'
        "2026-01-01T00:00:02Z stderr oops: a b\n"
        "garbage line\n"
    )
    parsed = parse_log_text(text)
    assert [(x.stream, x.text) for x in parsed] == [
        ("runner", "started"),
        ("stdout", '{"loss": 1}'),
        ("stderr", "oops: a b"),
        ("stdout", "garbage line"),
    ]
    assert [x.is_metadata for x in parsed] == [False, True, False, False]


def test_param_diff_lists_only_differences() -> None:
    a = [{"node": "train", "parameters": {"lr": 0.1, "epochs": 5}}, {"node": "prep", "parameters": {"s": 1}}]
    b = [
        {"node": "train", "parameters": {"lr": 0.2, "epochs": 5, "extra": True}},
        {"node": "prep", "parameters": {"s": 1}},
    ]
    assert param_diff(a, b) == [("train", "extra", None, True), ("train", "lr", 0.1, 0.2)]


def test_output_export_path_refuses_traversal(tmp_path: Path) -> None:
    assert (
        export_path(tmp_path, "e1", "sub/model.npz")
        == (tmp_path / "exports" / "e1" / "sub" / "model.npz").resolve()
    )
    for bad in ("../x", "/etc/passwd", "a/../../x", ""):
        with pytest.raises(ValueError, match="refusing"):
            export_path(tmp_path, "e1", bad)
    assert preview_kind("a.csv", 10) == "text" and preview_kind("p.png", 10) == "image"
    assert preview_kind("p.png", 10**9) == "none" and preview_kind("m.npz", 10) == "none"
    assert human_size(512) == "512 B" and human_size(2048) == "2.0 KiB"


def test_badge_words_never_colour_alone() -> None:
    assert badge_text(NodeState("running", started=100.0), now=165.0) == "running 1:05"
    assert badge_text(NodeState("failed", exit_code=2)) == "failed (exit 2)"
    for status in ("queued", "succeeded", "skipped", "reused", "cancelled"):
        assert badge_text(NodeState(status)) == status
    assert format_elapsed(3725) == "1:02:05"
