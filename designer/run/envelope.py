"""Full-fidelity drawing of long series: the min/max envelope per pixel column of the visible
range, recomputed for every zoom and pan (what W&B calls full-fidelity lines), never a subsample.

An ``Envelope`` keeps a min/max pyramid of a series (buckets of 8, 64, 512 … points), extended as
points are appended. A view's columns are cut at its pixel boundaries and snapped to the buckets
of the coarsest level at most a quarter column wide: every point counts in exactly one column,
so every spike shows, at most a quarter of a pixel from where it is. When the visible range has
few points for its width (zoomed in), the points themselves are drawn.
"""

from __future__ import annotations

import numpy as np

FACTOR = 8  # bucket size ratio between pyramid levels
RAW_PER_COLUMN = 2  # up to this many points per pixel column: draw the points themselves


class _Level:
    """Minima and maxima of buckets of ``size`` points, as a growable pair of arrays."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.lo = np.empty(0)
        self.hi = np.empty(0)

    def extend(self, src_lo: np.ndarray, src_hi: np.ndarray, start: int, factor: int) -> None:
        """Recompute buckets from ``start`` on out of the level below (``factor`` of its buckets
        each); earlier buckets are complete and stay."""
        part_lo, part_hi = src_lo[start * factor :], src_hi[start * factor :]
        full = len(part_lo) // factor
        lo = part_lo[: full * factor].reshape(full, factor).min(axis=1)
        hi = part_hi[: full * factor].reshape(full, factor).max(axis=1)
        if len(part_lo) > full * factor:
            lo = np.append(lo, part_lo[full * factor :].min())
            hi = np.append(hi, part_hi[full * factor :].max())
        self.lo = np.concatenate([self.lo[:start], lo])
        self.hi = np.concatenate([self.hi[:start], hi])


class Envelope:
    """The pyramid of one drawn series; ``update`` it with the series (append-only: a shorter
    one starts it afresh), then ask ``columns`` for a view."""

    def __init__(self) -> None:
        self._levels: list[_Level] = []
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
        below_lo, below_hi, size = y, y, 1
        level = 0
        while size * FACTOR < n:
            size *= FACTOR
            if level == len(self._levels):
                self._levels.append(_Level(size))
            lv = self._levels[level]
            lv.extend(below_lo, below_hi, min(old // size, len(lv.lo)), FACTOR)
            below_lo, below_hi = lv.lo, lv.hi
            level += 1
        self._n = n

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
        level = None
        for lv in self._levels:  # the coarsest level at most a quarter column wide
            if lv.size * 4 <= per_column:
                level = lv
        if level is None:
            size, mins, maxs = 1, y, y
        else:
            size, mins, maxs = level.size, level.lo, level.hi
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
