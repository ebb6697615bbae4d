"""Metric series without widgets: the EMA against a plain loop, keys aligned per record, the grow
buffer, CSV export."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from designer.run.series import GrowBuffer, MetricSource, ema, ema_extend, record_time, write_csv


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
