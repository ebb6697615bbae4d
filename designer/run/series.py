"""Metric series kept in growable numpy buffers (no Qt), plus EMA smoothing and CSV export.

One ``MetricSource`` per (run, node): every numeric key of its metadata records becomes a column
aligned on the record index (NaN where a record lacks the key), with the record's wall time.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

import numpy as np

RECORD_INDEX = "record index"
WALL_TIME = "wall time"


class GrowBuffer:
    """A float64 array that doubles when full; ``view()`` is the filled part (no copy)."""

    def __init__(self, capacity: int = 256) -> None:
        self._data = np.full(capacity, np.nan)
        self._n = 0
        self.gaps = False  # some value is NaN or infinite (plots must filter; else they take a view)

    def __len__(self) -> int:
        return self._n

    def _reserve(self, n: int) -> None:
        if n > len(self._data):
            bigger = np.full(max(n, 2 * len(self._data)), np.nan)
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
        """Fill with NaN up to length ``n`` (a key first seen in a later record)."""
        if n > self._n:
            self._reserve(n)
            self._data[self._n : n] = np.nan
            self._n = n
            self.gaps = True

    def view(self) -> np.ndarray:
        return self._data[: self._n]


def numeric(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def record_time(value: Any) -> float:
    """A record's ``_time`` (ISO-8601 text from the runner, or a number) as epoch seconds."""
    num = numeric(value)
    if num is not None:
        return num
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return math.nan
    return math.nan


@dataclass
class MetricSource:
    """The metric columns of one node of one run."""

    run_id: str
    node: str
    time: GrowBuffer = field(default_factory=GrowBuffer)
    index: GrowBuffer = field(default_factory=GrowBuffer)  # 0, 1, 2… kept, so no arange per frame
    columns: dict[str, GrowBuffer] = field(default_factory=dict)
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

    def __len__(self) -> int:
        return len(self.time)

    def add_records(self, records: Iterable[dict[str, Any]]) -> None:
        for record in records:
            n = len(self.time)
            self.time.append(record_time(record.get("_time")))
            self.index.append(float(n))
            for key, value in record.items():
                num = numeric(value)
                if num is None or key == "_time":
                    continue
                col = self.columns.get(key)
                if col is None:
                    col = self.columns[key] = GrowBuffer(max(256, n + 1))
                col.pad_to(n)
                col.append(num)
            self.version += 1
        for col in self.columns.values():
            col.pad_to(len(self.time))

    def x_values(self, x_key: str) -> np.ndarray:
        if x_key == WALL_TIME:
            t = self.time.view()
            return t - t[0] if len(t) else t
        if x_key in self.columns:
            return self.columns[x_key].view()
        if len(self.index) != len(self.time):  # filled in bulk (benchmarks)
            self.index = GrowBuffer(len(self.time))
            self.index.extend(np.arange(len(self.time), dtype=float))
        return self.index.view()

    def _gaps(self, x_key: str) -> bool:
        if x_key == WALL_TIME:
            return self.time.gaps
        return x_key in self.columns and self.columns[x_key].gaps

    def xy(self, key: str, x_key: str) -> tuple[np.ndarray, np.ndarray]:
        """Finite points of ``key`` against the x-axis key (NaN rows dropped)."""
        col = self.columns[key]
        y = col.view()
        x = self.x_values(x_key)
        if len(x) != len(y):
            n = min(len(x), len(y))
            x, y = x[:n], y[:n]
        if not col.gaps and not self._gaps(x_key):
            return x, y  # views, no copy: the common case of a key printed in every record
        ok = np.isfinite(y) & np.isfinite(x)
        if ok.all():
            return x, y
        return x[ok], y[ok]


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


def peak_decimate(x: np.ndarray, y: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``2 * bins`` points keeping each bin's minimum and maximum (the curve's envelope).

    What pyqtgraph's 'peak' downsampling does, but done once per frame on the data we hand it,
    so a million-point series costs a few milliseconds, not a million-point setData.
    """
    n = len(y)
    if n <= 2 * bins or bins < 1:
        return x, y
    k = n // bins
    m = k * bins
    yb = y[:m].reshape(bins, k)
    lo, hi = yb.min(axis=1), yb.max(axis=1)
    xs = x[:m:k]
    out_x = np.repeat(xs, 2)
    out_y = np.empty(2 * bins)
    out_y[0::2], out_y[1::2] = lo, hi
    if m < n:  # the tail that does not fill a bin
        out_x = np.concatenate([out_x, [x[m], x[m]]])
        out_y = np.concatenate([out_y, [y[m:].min(), y[m:].max()]])
    return out_x, out_y
