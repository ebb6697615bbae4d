"""Full-fidelity drawing of long series: the min/max envelope per pixel column of the visible
range, recomputed for every zoom and pan (what W&B calls full-fidelity lines), never a subsample.

An ``Envelope`` keeps minima and maxima of a series by buckets of 16, 256, 4096 … points, each
level built the first time a view needs it (from a finer level when there is one) and extended
as points are appended. A view's columns are cut at its pixel boundaries and snapped to the
buckets of the coarsest level at most a quarter column wide: every point counts in exactly one
column, so every spike shows, at most a quarter of a pixel from where it is. When the visible
range has few points for its width (zoomed in), the points themselves are drawn.
"""

from __future__ import annotations

import numpy as np

SIZES = (16, 256, 4096, 65536, 1048576)  # bucket sizes of the levels
RAW_PER_COLUMN = 2  # up to this many points per pixel column: draw the points themselves
RAW_REDUCE = 262_144  # fewer visible points than this: reduce them directly, build no level


class _Level:
    """Minima and maxima of buckets of ``size`` points."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.lo = np.empty(0)
        self.hi = np.empty(0)

    def extend(self, lo: np.ndarray, hi: np.ndarray, unit: int, n: int, start: int) -> None:
        """Recompute buckets from ``start`` on out of ``lo``/``hi`` (buckets of ``unit`` points,
        1 for the series itself) covering ``n`` points; earlier buckets are complete and stay."""
        factor = self.size // unit
        part_lo, part_hi = lo[start * factor :], hi[start * factor :]
        full = len(part_lo) // factor
        new_lo = part_lo[: full * factor].reshape(full, factor).min(axis=1)
        new_hi = part_hi[: full * factor].reshape(full, factor).max(axis=1)
        if len(part_lo) > full * factor:
            new_lo = np.append(new_lo, part_lo[full * factor :].min())
            new_hi = np.append(new_hi, part_hi[full * factor :].max())
        self.lo = np.concatenate([self.lo[:start], new_lo])
        self.hi = np.concatenate([self.hi[:start], new_hi])


class Envelope:
    """The levels of one drawn series; ``update`` it with the series (append-only: a shorter one
    starts it afresh), then ask ``columns`` for a view."""

    def __init__(self) -> None:
        self._levels: dict[int, _Level] = {}
        self._n = 0
        self.ascending = True  # x never decreases (else columns follow the points' order)

    def update(self, x: np.ndarray, y: np.ndarray) -> None:
        n, old = len(y), self._n
        if n < old:
            self.__init__()  # type: ignore[misc]
            old = 0
        if n == old:
            return
        tail = x[max(0, old - 1) :]
        self.ascending = self.ascending and bool((tail[1:] >= tail[:-1]).all())
        for level in self._levels.values():  # complete buckets stay; the last one and new ones
            level.extend(y, y, 1, n, min(old // level.size, len(level.lo)))
        self._n = n

    def _level(self, y: np.ndarray, size: int) -> _Level:
        level = self._levels.get(size)
        if level is None:
            level = self._levels[size] = _Level(size)
            finer = max((s for s in self._levels if s < size and size % s == 0), default=None)
            if finer is not None:
                source = self._levels[finer]
                level.extend(source.lo, source.hi, finer, len(y), 0)
            else:
                level.extend(y, y, 1, len(y), 0)
        return level

    def columns(
        self, x: np.ndarray, y: np.ndarray, view: tuple[float, float] | None, pixels: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """What to draw of the series in ``view`` (x0, x1; None: all of it) ``pixels`` wide: the
        points themselves when they are few, else each column's minimum and maximum."""
        n = len(y)
        lo, hi = 0, n
        if view is not None and self.ascending and n:
            lo = max(0, int(np.searchsorted(x, view[0], "left")) - 1)
            hi = min(n, int(np.searchsorted(x, view[1], "right")) + 1)
        pixels = max(1, pixels)
        if hi - lo <= RAW_PER_COLUMN * pixels:
            return x[lo:hi], y[lo:hi]
        if self.ascending:
            x0, x1 = view if view is not None else (x[0], x[-1])
            edges = np.searchsorted(x, np.linspace(x0, x1, pixels + 1))
        else:
            edges = np.linspace(lo, hi, pixels + 1)
        edges = np.clip(edges.astype(np.int64), lo, hi)
        edges[0], edges[-1] = lo, hi
        per_column = (hi - lo) / pixels
        fitting = [size for size in SIZES if size * 4 <= per_column and size < n]
        if fitting and (fitting[-1] in self._levels or hi - lo > RAW_REDUCE):
            level = self._level(y, fitting[-1])  # the coarsest at most a quarter column wide
            size, mins, maxs = level.size, level.lo, level.hi
        else:  # few enough: straight from the points
            size, mins, maxs = 1, y, y
        bucket = (edges + size // 2) // size
        bucket[0], bucket[-1] = lo // size, -(-hi // size)
        bucket = np.maximum.accumulate(bucket)
        starts = bucket[:-1][bucket[1:] > bucket[:-1]]
        end = int(bucket[-1])
        col_lo = np.minimum.reduceat(mins[:end], starts)
        col_hi = np.maximum.reduceat(maxs[:end], starts)
        xs = x[np.minimum(starts * size, n - 1)]
        out_y = np.empty(2 * len(starts))
        out_y[0::2], out_y[1::2] = col_lo, col_hi
        return np.repeat(xs, 2), out_y
