"""The pyqtgraph plot of the metrics dock: curves per (node/run, key), redrawn on a timer.

Data arrive whenever they like (``MetricSource.add_records``); a 25 Hz ``QTimer`` calls
``setData`` only for curves whose source changed (throttle drawing, never data:
docs/architecture.md, "A printed metric to the plot").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, QTimer, Signal
from PySide6.QtGui import QColor

from designer.run.plot_grid import TickGrid
from designer.run.series import RECORD_INDEX, GrowBuffer, MetricSource, ema_extend, peak_decimate

FRAME_MS = 40  # 25 Hz
DECIMATE_ABOVE = 5_000  # longer series are reduced to their envelope before setData
PALETTE = ["#2f7fe0", "#e0762f", "#2ea043", "#c93c9a", "#8a63d2", "#d4a72c", "#1b9aaa", "#cf222e"]


@dataclass
class _Curve:
    source: MetricSource
    key: str
    color: str
    raw: pg.PlotDataItem
    smooth: pg.PlotDataItem
    name: str
    drawn_version: int = -1
    # incremental EMA state
    smoothed: GrowBuffer = field(default_factory=GrowBuffer)
    carry: float = 0.0
    # the full data last drawn (what hover and tests read; setData may get a reduced copy)
    x: np.ndarray = field(default_factory=lambda: np.empty(0))
    y: np.ndarray = field(default_factory=lambda: np.empty(0))


class MetricsPlot(QObject):
    # The hover read-out text changed
    hover_changed = Signal(str)
    # A refresh pass drew new data (tests and benchmarks measure print-to-screen latency)
    frame_drawn = Signal()

    def __init__(self, widget: pg.PlotWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.widget = widget
        self.item: pg.PlotItem = widget.getPlotItem()
        background = widget.backgroundBrush().color()
        ink = widget.palette().text().color()
        self.grid = TickGrid(self.item, _blend(ink, background, 0.14), _blend(ink, background, 0.06))
        self.item.vb.addItem(self.grid, ignoreBounds=True)
        for name in ("left", "bottom"):
            axis = self.item.getAxis(name)
            axis.setPen(pg.mkPen(_blend(ink, background, 0.35)))
            axis.setTextPen(pg.mkPen(_blend(ink, background, 0.75)))
        self.item.setClipToView(True)
        self.item.setDownsampling(auto=True, mode="peak")
        legend_bg = QColor(background)
        legend_bg.setAlpha(215)
        self.legend = self.item.addLegend(
            offset=(-10, 10),
            labelTextSize="9pt",
            labelTextColor=_blend(ink, background, 0.85),
            brush=pg.mkBrush(legend_bg),
            pen=pg.mkPen(_blend(ink, background, 0.2)),
        )
        self.x_key = RECORD_INDEX
        self.weight = 0.0
        self._curves: dict[tuple[str, str, str], _Curve] = {}
        self._timer = QTimer(self, interval=FRAME_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        widget.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.item.vb.sigRangeChangedManually.connect(self._on_range_changed)
        self.item.vb.sigXRangeChanged.connect(self._on_range_changed)
        self.frames = 0  # setData passes that drew something (tests, benchmarks)

    # --- what is shown ---------------------------------------------------------------------
    def set_curves(self, wanted: list[tuple[MetricSource, str]]) -> None:
        """Show exactly these (source, key) pairs, keeping curves that stay."""
        keys = {(s.run_id, s.node, k): (s, k) for s, k in wanted}
        for ident in [i for i in self._curves if i not in keys]:
            curve = self._curves.pop(ident)
            for item in (curve.raw, curve.smooth):
                self.legend.removeItem(item)
                self.item.removeItem(item)
        for ident, (source, key) in keys.items():
            if ident not in self._curves:
                used = [c.color for c in self._curves.values()]
                free = [c for c in PALETTE if c not in used]  # a colour no other curve has
                color = free[0] if free else PALETTE[len(used) % len(PALETTE)]
                self._curves[ident] = self._new_curve(source, key, color)
        self._restyle()

    def _new_curve(self, source: MetricSource, key: str, color: str) -> _Curve:
        name = f"{key} — {source.label}"
        raw = pg.PlotDataItem(pen=pg.mkPen(color, width=1.5))
        smooth = pg.PlotDataItem(pen=pg.mkPen(color, width=2))
        for item in (raw, smooth):
            item.setClipToView(True)
            item.setDownsampling(auto=True, method="peak")
            self.item.addItem(item)
        return _Curve(source, key, color, raw, smooth, name)

    def _restyle(self) -> None:
        """With smoothing the raw curve is faint and the smoothed one carries the legend.

        Faint is an opaque colour blended towards the background, not alpha: translucent or
        wide pens make Qt stroke the whole path (tens of ms a frame), opaque ones draw segments.
        """
        background = self.widget.backgroundBrush().color()
        self.legend.clear()
        for curve in self._curves.values():
            self.legend.addItem(curve.smooth if self.weight > 0 else curve.raw, curve.name)
            color = pg.mkColor(curve.color)
            if self.weight > 0:
                color = _blend(color, background, 0.3)
                curve.raw.setPen(pg.mkPen(color, width=1))
            else:
                curve.raw.setPen(pg.mkPen(color, width=1.5))
            curve.smooth.setVisible(self.weight > 0)
            curve.drawn_version = -1
            curve.smoothed = GrowBuffer()
            curve.carry = 0.0

    def set_x_key(self, key: str) -> None:
        self.x_key = key
        self.item.setLabel("bottom", key)
        self._invalidate()

    def set_smoothing(self, weight: float) -> None:
        self.weight = weight
        self._restyle()

    def set_log_y(self, on: bool) -> None:
        self.item.setLogMode(x=False, y=on)

    def _invalidate(self) -> None:
        for curve in self._curves.values():
            curve.drawn_version = -1
            curve.smoothed = GrowBuffer()
            curve.carry = 0.0

    # --- drawing ---------------------------------------------------------------------------
    def refresh(self) -> None:
        drew = False
        for curve in self._curves.values():
            if curve.drawn_version == curve.source.version or curve.key not in curve.source.columns:
                continue
            x, y = curve.source.xy(curve.key, self.x_key)
            curve.x, curve.y = x, y
            if self.weight > 0:
                done = len(curve.smoothed)
                if done > len(y):
                    curve.smoothed, curve.carry, done = GrowBuffer(), 0.0, 0
                new, curve.carry = ema_extend(y[done:], self.weight, curve.carry, done)
                curve.smoothed.extend(new)
            self._draw(curve)
            curve.drawn_version = curve.source.version
            drew = True
        if drew:
            self.frames += 1
            self.frame_drawn.emit()

    def _draw(self, curve: _Curve) -> None:
        """setData with the visible part, reduced to its envelope when it is long."""
        x, y = curve.x, curve.y
        ys = curve.smoothed.view() if self.weight > 0 else None
        if len(x) > decimate_above():
            lo, hi = 0, len(x)
            if not self.item.vb.autoRangeEnabled()[0] and _sorted(x):  # zoomed in: the visible part
                x0, x1 = self.item.vb.viewRange()[0]
                lo = max(0, int(np.searchsorted(x, x0)) - 1)
                hi = min(len(x), int(np.searchsorted(x, x1)) + 1)
            bins = max(200, int(self.widget.width()))
            xd, yd = peak_decimate(x[lo:hi], y[lo:hi], bins)
            curve.raw.setData(xd, yd)
            if ys is not None:
                curve.smooth.setData(*peak_decimate(x[lo:hi], ys[lo:hi], bins))
            return
        curve.raw.setData(x, y)
        if ys is not None:
            curve.smooth.setData(x, ys)

    def _on_range_changed(self) -> None:
        """Zoom or pan: long series are cut and reduced again for the new view."""
        for curve in self._curves.values():
            if len(curve.x) > decimate_above():
                curve.drawn_version = -1

    def curve_data(self) -> dict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]]:
        """The data each curve shows (all points, before any reduction for drawing)."""
        return {ident: (curve.x, curve.y) for ident, curve in self._curves.items()}

    def stop(self) -> None:
        """Stop the timer and drop every curve (docs/architecture.md "Shutdown")."""
        self._timer.stop()
        self.set_curves([])
        self.item.clear()

    # --- hover read-out ----------------------------------------------------------------------
    def _on_mouse_moved(self, pos: QPointF) -> None:
        if not self.item.sceneBoundingRect().contains(pos):
            return
        point = self.item.vb.mapSceneToView(pos)
        self.hover_changed.emit(self.readout(point.x()))

    def readout(self, x: float) -> str:
        """The value of each curve at the point nearest ``x`` (data coordinates)."""
        parts = []
        for curve in self._curves.values():
            xs, ys = curve.x, curve.y
            if len(xs) == 0:
                continue
            if self.weight > 0 and len(curve.smoothed) == len(ys):
                ys = curve.smoothed.view()
            i = int(np.clip(np.searchsorted(xs, x), 1, len(xs) - 1)) if len(xs) > 1 else 0
            if len(xs) > 1 and abs(xs[i - 1] - x) <= abs(xs[i] - x):
                i -= 1
            parts.append(f"{curve.key} ({curve.source.node}) = {ys[i]:.6g} @ {xs[i]:.6g}")
        return "   ".join(parts)


def _sorted(x: np.ndarray) -> bool:
    return bool(len(x) < 2 or (x[1:] >= x[:-1]).all())


def _blend(color: QColor, background: QColor, amount: float) -> QColor:
    """``amount`` of ``color`` over ``background``, opaque."""
    mix = [
        amount * a + (1 - amount) * b
        for a, b in zip(color.getRgbF()[:3], background.getRgbF()[:3], strict=True)
    ]
    return QColor.fromRgbF(*mix)


def decimate_above() -> int:
    """Read at call time, so a benchmark can switch the reduction off for its baseline."""
    return DECIMATE_ABOVE
