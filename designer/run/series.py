"""Metric series kept in growable numpy buffers (no Qt), plus EMA smoothing and CSV export.

One ``MetricSource`` per (run, node): the records' wall times and, per numeric key, its values
with the record each came from (``KeySeries``: no record positions kept while the key is in
every record, so a key printed every step costs 8 bytes a point, and a key printed once costs
one point, not a column of NaN). Filled live record by record, or in bulk from the store's
per-key index (``add_stored``).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np

from runner.api import numeric, record_time

RECORD_INDEX = "record index"
WALL_TIME = "wall time"
TIME_KEY = "_time"

__all__ = ["GrowBuffer", "KeySeries", "MetricSource", "ema", "ema_extend", "numeric", "record_time"]


class GrowBuffer:
    """A float64 array that doubles when full; ``view()`` is the filled part (no copy).

    ``wrap`` adopts an existing (even read-only) array without copying; the first append copies."""

    def __init__(self, capacity: int = 256) -> None:
        self._data = np.full(capacity, np.nan)
        self._n = 0
        self.gaps = False  # some value is NaN or infinite (plots must filter; else they take a view)

    @classmethod
    def wrap(cls, values: np.ndarray) -> GrowBuffer:
        buf = cls(0)
        buf._data, buf._n = values, len(values)
        buf.gaps = bool(len(values)) and not bool(np.isfinite(values).all())
        return buf

    def __len__(self) -> int:
        return self._n

    def _reserve(self, n: int) -> None:
        if n > len(self._data) or not self._data.flags.writeable:
            bigger = np.full(max(n, 2 * len(self._data), 256), np.nan)
            bigger[: self._n] = self._data[: self._n]
            self._data = bigger

    def append(self, value: float) -> None:
        self._reserve(self._n + 1)
        self._data[self._n] = value
        self._n += 1
        if not math.isfinite(value):
            self.gaps = True

    def extend(self, values: np.ndarray) -> None:
        self._reserve(self._n + len(values))
        self._data[self._n : self._n + len(values)] = values
        self._n += len(values)
        if not np.isfinite(values).all():
            self.gaps = True

    def pad_to(self, n: int) -> None:
        """Fill with NaN up to length ``n`` (a column that missed some rows)."""
        if n > self._n:
            self._reserve(n)
            self._data[self._n : n] = np.nan
            self._n = n
            self.gaps = True

    def view(self) -> np.ndarray:
        return self._data[: self._n]


@dataclass
class KeySeries:
    """One key's values and the records (positions 0, 1, 2 …) they came from; ``records`` is
    None while the key is in every record from the first (then position i is value i)."""

    values: GrowBuffer = field(default_factory=GrowBuffer)
    records: GrowBuffer | None = None

    def view(self) -> np.ndarray:
        return self.values.view()

    def __len__(self) -> int:
        return len(self.values)

    def add(self, position: int, value: float) -> None:
        if self.records is None and position != len(self.values):  # a record went without it
            self.records = GrowBuffer.wrap(np.arange(len(self.values), dtype=float))
        if self.records is not None:
            self.records.append(float(position))
        self.values.append(value)

    def positions(self, index: np.ndarray) -> np.ndarray:
        """The record positions of the values (``index``: 0 … n-1 of every record)."""
        return index[: len(self.values)] if self.records is None else self.records.view()


@dataclass
class MetricSource:
    """The metric series of one node of one run."""

    run_id: str
    node: str
    time: GrowBuffer = field(default_factory=GrowBuffer)
    index: GrowBuffer = field(default_factory=GrowBuffer)  # 0, 1, 2… kept, so no arange per frame
    columns: dict[str, KeySeries] = field(default_factory=dict)
    version: int = 0  # bumped on every append, so the plot redraws only what changed
    title: str = ""  # a task execution's "#3 lr=0.1 depth=3" (else the node's name)

    @property
    def label(self) -> str:
        return f"{self.title or self.node} · {self.run_id[-6:]}"

    def latest(self, key: str) -> float | None:
        """The key's last finite value (what a task's ranking compares)."""
        col = self.columns.get(key)
        if col is None:
            return None
        values = col.view()
        finite = np.flatnonzero(np.isfinite(values))
        return float(values[finite[-1]]) if len(finite) else None

    def points(self, key: str) -> int:
        """How many finite values the key has."""
        col = self.columns.get(key)
        if col is None:
            return 0
        return len(col) if not col.values.gaps else int(np.isfinite(col.view()).sum())

    def __len__(self) -> int:
        return len(self.time)

    def add_records(self, records: Iterable[dict[str, Any]]) -> None:
        for record in records:
            n = len(self.time)
            self.time.append(record_time(record.get(TIME_KEY)))
            self.index.append(float(n))
            for key, value in record.items():
                num = numeric(value)
                if num is None or key == TIME_KEY:
                    continue
                col = self.columns.get(key)
                if col is None:
                    col = self.columns[key] = KeySeries()
                col.add(n, num)
            self.version += 1

    def fill(self, times: np.ndarray, columns: dict[str, np.ndarray]) -> None:
        """Bulk: records whose every key is in ``columns`` (one value per record); empty source."""
        self.time = GrowBuffer.wrap(np.asarray(times, dtype=float))
        self.index = GrowBuffer.wrap(np.arange(len(times), dtype=float))
        for key, values in columns.items():
            self.columns[key] = KeySeries(GrowBuffer.wrap(np.asarray(values, dtype=float)))
        self.version += 1

    def add_stored(self, stored: Any) -> None:
        """Bulk, into an empty source: the store's ``StoredMetrics`` of an execution (packed
        little-endian float64 values; int64 seqs where a key is not in every record)."""
        n = stored.records
        times = np.frombuffer(stored.keys[TIME_KEY].values, dtype="<f8") if n else np.empty(0)
        record_seqs = None if stored.record_seqs is None else np.frombuffer(stored.record_seqs, dtype="<i8")
        self.fill(times, {})
        for key, points in stored.keys.items():
            if key == TIME_KEY:
                continue
            values = np.frombuffer(points.values, dtype="<f8")
            series = self.columns[key] = KeySeries(GrowBuffer.wrap(values))
            if points.seqs is not None:
                seqs = np.frombuffer(points.seqs, dtype="<i8")
                at = seqs if record_seqs is None else np.searchsorted(record_seqs, seqs)
                series.records = GrowBuffer.wrap(at.astype(float))

    def _record_x(self, x_key: str) -> np.ndarray | None:
        """Per record: the x value (record index, or seconds since the first record)."""
        if x_key == WALL_TIME:
            t = self.time.view()
            return t - t[0] if len(t) else t
        if x_key in self.columns:
            return None
        if len(self.index) != len(self.time):
            self.index = GrowBuffer.wrap(np.arange(len(self.time), dtype=float))
        return self.index.view()

    def xy(self, key: str, x_key: str) -> tuple[np.ndarray, np.ndarray]:
        """Finite points of ``key`` against the x-axis (record index, wall time or another key:
        then the records that have both)."""
        col = self.columns[key]
        y = col.view()
        per_record = self._record_x(x_key)
        if per_record is None:
            index = self._record_x(RECORD_INDEX)
            assert index is not None
            x, y = _aligned(self.columns[x_key], col, index)
            gaps = True
        else:
            at = col.records
            x = per_record[: len(y)] if at is None else per_record[at.view().astype(np.intp)]
            gaps = col.values.gaps or (x_key == WALL_TIME and self.time.gaps)
        if not gaps:
            return x, y  # views, no copy: the common case of a key printed in every record
        ok = np.isfinite(y) & np.isfinite(x)
        return (x, y) if ok.all() else (x[ok], y[ok])


def _aligned(xs: KeySeries, ys: KeySeries, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values of two keys at the records that have both."""
    if xs.records is None and ys.records is None:
        n = min(len(xs), len(ys))
        return xs.view()[:n], ys.view()[:n]
    px, py = xs.positions(index), ys.positions(index)
    at = np.searchsorted(px, py)
    at = np.minimum(at, len(px) - 1) if len(px) else at
    both = (px[at] == py) if len(px) else np.zeros(len(py), dtype=bool)
    return xs.view()[at[both]], ys.view()[both]


def ema(values: np.ndarray, weight: float) -> np.ndarray:
    """Exponential moving average with TensorBoard's debiasing; ``weight`` in [0, 1)."""
    return ema_extend(values, weight, 0.0, 0)[0]


def ema_extend(values: np.ndarray, weight: float, carry: float, offset: int) -> tuple[np.ndarray, float]:
    """EMA of ``values`` that continue a series of ``offset`` points whose raw accumulator is ``carry``.

    Returns (smoothed values, new carry), so live plots smooth only the points that arrived.
    Vectorized by chunks: inside a chunk acc_i = w^(i+1)·carry + (1-w)·w^i·cumsum(x_j·w^-j);
    the chunk length keeps w^-j below 1e200, so nothing overflows.
    """
    if not 0 <= weight < 1:
        raise ValueError(f"smoothing weight must be in [0, 1), not {weight}")
    x = np.asarray(values, dtype=float)
    if weight == 0 or len(x) == 0:
        return x.copy(), float(x[-1]) if len(x) else carry
    chunk = int(max(1, min(8192, 200 / -math.log10(weight))))
    powers = weight ** np.arange(chunk, dtype=float)
    acc = np.empty(len(x))
    for start in range(0, len(x), chunk):
        part = x[start : start + chunk]
        p = powers[: len(part)]
        block = (1 - weight) * p * np.cumsum(part / p) + weight * p * carry
        acc[start : start + len(part)] = block
        carry = float(block[-1])
    debias = 1 - weight ** np.arange(offset + 1, offset + len(x) + 1, dtype=float)
    return acc / debias, carry


def write_csv(out: IO[str], sources: list[MetricSource], keys: list[str], x_key: str) -> int:
    """One row per plotted point: source, node, run, x, key, value. Returns the row count."""
    writer = csv.writer(out)
    writer.writerow(["run", "node", "x" if x_key == RECORD_INDEX else x_key, "key", "value"])
    rows = 0
    for src in sources:
        for key in keys:
            if key not in src.columns:
                continue
            x, y = src.xy(key, x_key)
            for xv, yv in zip(x.tolist(), y.tolist(), strict=True):
                writer.writerow([src.run_id, src.node, repr(xv), key, repr(yv)])
                rows += 1
    return rows
