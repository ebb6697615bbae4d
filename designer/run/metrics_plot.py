"""A pyqtgraph plot of metric curves per (node/run, key), redrawn on a timer.

Data arrive whenever they like (``MetricSource.add_records``); a 25 Hz ``QTimer`` calls
``setData`` only for curves whose source changed (throttle drawing, never data:
docs/architecture.md, "A printed metric to the plot"). What ``setData`` gets is the visible
range's min/max envelope per pixel column (``designer.run.envelope``), recomputed on every zoom,
pan and resize: all of a 10 M-point series, at the cost of a few thousand points.

A key keeps its colour (``plot_style.key_colors``) and series are told apart by line style; a
task's overlay (one key, many executions) colours by execution instead. Keys can go on a
right-hand axis; the legend sits inside (drag it), outside on the right, or is hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QSizePolicy

from designer.run import plot_style
from designer.run.envelope import Envelope
from designer.run.plot_grid import TickGrid
from designer.run.plot_style import LEGEND_INSIDE, LEGEND_OUTSIDE
from designer.run.series import RECORD_INDEX, GrowBuffer, MetricSource, ema_extend

FRAME_MS = 40  # 25 Hz
PALETTE = plot_style.PALETTE


@dataclass
class _Curve:
    source: MetricSource
    key: str
    raw: pg.PlotDataItem
    smooth: pg.PlotDataItem
    color: str = ""
    dash: Any = None
    right: bool = False
    name: str = ""
    dense: bool = False  # last drawn as an envelope of many points per pixel column
    drawn_version: int = -1
    # incremental EMA state
    smoothed: GrowBuffer = field(default_factory=GrowBuffer)
    carry: float = 0.0
    # the full data (what hover, export and tests read; setData gets its envelope)
    x: np.ndarray = field(default_factory=lambda: np.empty(0))
    y: np.ndarray = field(default_factory=lambda: np.empty(0))
    envelope: Envelope = field(default_factory=Envelope)
    smooth_envelope: Envelope = field(default_factory=Envelope)

    def reset(self) -> None:
        self.drawn_version = -1
        self.smoothed, self.carry = GrowBuffer(), 0.0
        self.envelope, self.smooth_envelope = Envelope(), Envelope()


class MetricsPlot(QObject):
    # The hover read-out text changed
    hover_changed = Signal(str)
    # A refresh pass drew new data (tests and benchmarks measure print-to-screen latency)
    frame_drawn = Signal()

    def __init__(self, widget: pg.PlotWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.widget = widget
        self.item: pg.PlotItem = widget.getPlotItem()
        self.item.hideButtons()  # pyqtgraph's "A" is a fixed dark glyph; the dock has a Fit button
        self.colors = plot_style.plot_colors(widget.palette())
        self.grid = TickGrid(self.item, self.colors.grid_major, self.colors.grid_minor)
        self.item.vb.addItem(self.grid, ignoreBounds=True)
        self.legend = pg.LegendItem(offset=(-10, 10), labelTextSize="9pt")
        self.legend.setParentItem(self.item.vb)
        self._outside = pg.LegendItem(offset=None, labelTextSize="9pt")  # in the plot's layout
        self._outside.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.legend_mode = LEGEND_INSIDE
        self._right_vb: pg.ViewBox | None = None
        self.x_key = RECORD_INDEX
        self.weight = 0.0
        self.log_y = False
        self.color_by_series = False  # a task's overlay: one colour per execution
        self._curves: dict[tuple[str, str, str], _Curve] = {}
        self._range_dirty = False
        self._drawn_view: tuple[float, float] | None = None
        self._timer = QTimer(self, interval=FRAME_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self._soon = QTimer(self, interval=0, singleShot=True)  # redraw right after a zoom or pan
        self._soon.timeout.connect(self.refresh)
        widget.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.item.vb.sigXRangeChanged.connect(self._on_range_changed)
        self.item.vb.sigResized.connect(self._on_resized)
        self.frames = 0  # refresh passes that drew something (tests, benchmarks)
        self.set_x_key(RECORD_INDEX)
        self.apply_palette(widget.palette())

    # --- what is shown ---------------------------------------------------------------------
    def set_curves(self, wanted: Sequence[tuple[Any, ...]]) -> None:
        """Show exactly these (source, key) or (source, key, on the right axis) curves, keeping
        curves that stay."""
        specs = {(s.run_id, s.node, k): (s, k, bool(rest and rest[0])) for s, k, *rest in wanted}
        for ident in [i for i in self._curves if i not in specs]:
            self._drop(self._curves.pop(ident))
        for ident, (source, key, _right) in specs.items():
            if ident not in self._curves:
                raw, smooth = pg.PlotDataItem(), pg.PlotDataItem()
                self._curves[ident] = _Curve(source, key, raw, smooth)
        colors = plot_style.key_colors(k for _s, k, _r in specs.values())
        order: dict[tuple[str, str], int] = {}
        for source, _k, _r in specs.values():
            order.setdefault((source.run_id, source.node), len(order))
        for ident, (source, key, right) in specs.items():
            curve = self._curves[ident]
            number = order[(source.run_id, source.node)]
            if self.color_by_series:
                curve.color, curve.dash = plot_style.series_color(number), plot_style.dash(0)
            else:
                curve.color, curve.dash = colors[key], plot_style.dash(number)
            if curve.right != right or curve.raw.getViewBox() is None:
                self._drop(curve)
                curve.right = right
                box = self._right_box() if right else self.item
                for part in (curve.raw, curve.smooth):
                    box.addItem(part)
                    part.setLogMode(False, self.log_y)
            curve.name = f"{key}{' (right)' if right else ''} — {source.label}"
        right_keys = sorted({c.key for c in self._curves.values() if c.right})
        self.item.showAxis("right", bool(right_keys))
        if right_keys:  # two scales: each axis names its keys
            left_keys = sorted({c.key for c in self._curves.values() if not c.right})
            self.item.setLabel("right", ", ".join(right_keys), color=self.colors.text.name())
            self.item.setLabel("left", ", ".join(left_keys), color=self.colors.text.name())
        else:
            self.item.getAxis("left").setLabel(None)
            self.item.getAxis("left").showLabel(False)
        self._restyle()

    def _drop(self, curve: _Curve) -> None:
        for part in (curve.raw, curve.smooth):
            box = part.getViewBox()
            if box is self.item.vb:
                self.item.removeItem(part)
            elif box is not None:
                box.removeItem(part)

    def _right_box(self) -> pg.ViewBox:
        """The right-hand axis' view: its own y range, the x range of the main one."""
        if self._right_vb is None:
            box = self._right_vb = pg.ViewBox(enableMenu=False)
            self.widget.scene().addItem(box)
            self.item.getAxis("right").linkToView(box)
            box.setXLink(self.item.vb)
            self.item.vb.sigResized.connect(self._place_right)
            self._place_right()
        return self._right_vb

    def _place_right(self) -> None:
        if self._right_vb is not None:
            self._right_vb.setGeometry(self.item.vb.sceneBoundingRect())
            self._right_vb.linkedViewChanged(self.item.vb, self._right_vb.XAxis)

    def _restyle(self) -> None:
        """Pens and the legend. With smoothing the raw curve is faint and the smoothed one
        carries the legend. Faint is an opaque colour blended towards the background, not
        alpha: translucent or wide pens make Qt stroke the whole path (tens of ms a frame)."""
        for legend in (self.legend, self._outside):
            legend.clear()
        legend = {LEGEND_INSIDE: self.legend, LEGEND_OUTSIDE: self._outside}.get(self.legend_mode)
        for curve in self._curves.values():
            self._pens(curve)
            curve.smooth.setVisible(self.weight > 0)
            if legend is not None:
                legend.addItem(curve.smooth if self.weight > 0 else curve.raw, curve.name)
            curve.reset()
        plot_style.style_legend(self.legend, self.colors)
        plot_style.style_legend(self._outside, self.colors)

    def _pens(self, curve: _Curve) -> None:
        """A dense envelope (a band of vertical strokes) is drawn 1 px wide: wider or dashed wide
        pens make Qt stroke the whole outline, 10-1000x slower."""
        color = pg.mkColor(curve.color)
        faint = plot_style.blend(color, self.colors.background, 0.3)
        thin = curve.dense
        width = 1 if self.weight > 0 or thin else 1.5
        curve.raw.setPen(pg.mkPen(faint if self.weight > 0 else color, width=width, style=curve.dash))
        curve.smooth.setPen(pg.mkPen(color, width=1 if thin else 2, style=curve.dash))

    def set_legend(self, mode: str) -> None:
        """``inside`` (top right; drag it anywhere), ``outside`` (right of the plot) or ``hidden``."""
        self.legend_mode = mode
        self.legend.setVisible(mode == LEGEND_INSIDE)
        in_layout = self._outside.parentItem() is self.item
        if mode == LEGEND_OUTSIDE and not in_layout:
            self.item.layout.addItem(self._outside, 2, 3)
            self.item.layout.setAlignment(self._outside, Qt.AlignmentFlag.AlignTop)
        elif mode != LEGEND_OUTSIDE and in_layout:
            self.item.layout.removeItem(self._outside)
            self._outside.setParentItem(None)
            self.widget.scene().removeItem(self._outside)
        self._outside.setVisible(mode == LEGEND_OUTSIDE)
        self._restyle()

    def set_x_key(self, key: str) -> None:
        """The x axis: record index, wall time or a key; its label says which."""
        self.x_key = key
        self.item.setLabel("bottom", "wall time (s)" if key == "wall time" else key)
        self.item.getAxis("bottom").labelStyle = {"color": self.colors.text.name()}
        self.item.getAxis("bottom")._updateLabel()
        self._invalidate()

    def x_label(self) -> str:
        return str(self.item.getAxis("bottom").labelText)

    def set_smoothing(self, weight: float) -> None:
        self.weight = weight
        self._restyle()

    def set_log_y(self, on: bool) -> None:
        self.log_y = on
        self.item.setLogMode(x=False, y=on)
        if self._right_vb is not None:
            self.item.getAxis("right").setLogMode(False, on)
            for curve in self._curves.values():
                if curve.right:
                    curve.raw.setLogMode(False, on)
                    curve.smooth.setLogMode(False, on)

    def fit(self) -> None:
        """Show all of every curve again (after zooming)."""
        self.item.enableAutoRange()
        if self._right_vb is not None:
            self._right_vb.enableAutoRange()

    def apply_palette(self, palette: QPalette) -> None:
        """Follow the application's colours (light or dark): background, axes, grid, legend."""
        self.colors = colors = plot_style.plot_colors(palette)
        self.widget.setBackground(colors.background)
        self.grid.set_colors(colors.grid_major, colors.grid_minor)
        plot_style.style_axes(self.item, colors)
        self._restyle()

    def _invalidate(self) -> None:
        for curve in self._curves.values():
            curve.reset()

    # --- drawing ---------------------------------------------------------------------------
    def refresh(self) -> None:
        drew = False
        redraw, self._range_dirty = self._range_dirty, False
        view = self._view()
        for curve in self._curves.values():
            if curve.key not in curve.source.columns:
                continue
            changed = curve.drawn_version != curve.source.version
            if changed:
                self._update_data(curve)
            if changed or redraw:
                self._draw(curve, view)
                drew = True
        self._drawn_view = view
        if drew:
            self.frames += 1
            self.frame_drawn.emit()

    def _update_data(self, curve: _Curve) -> None:
        x, y = curve.source.xy(curve.key, self.x_key)
        curve.x, curve.y = x, y
        curve.envelope.update(x, y)
        if self.weight > 0:
            done = len(curve.smoothed)
            if done > len(y):
                curve.smoothed, curve.carry, done = GrowBuffer(), 0.0, 0
            new, curve.carry = ema_extend(y[done:], self.weight, curve.carry, done)
            curve.smoothed.extend(new)
            curve.smooth_envelope.update(x, curve.smoothed.view())
        curve.drawn_version = curve.source.version

    def _view(self) -> tuple[float, float] | None:
        """The x range to draw: None (all of it) while the plot follows the data."""
        if self.item.vb.autoRangeEnabled()[0]:
            return None
        x0, x1 = self.item.vb.viewRange()[0]
        return float(x0), float(x1)

    def _draw(self, curve: _Curve, view: tuple[float, float] | None) -> None:
        """setData with the envelope of what is visible (the points themselves when few)."""
        pixels = int(self.item.vb.width()) or int(self.widget.width())
        x, y = curve.envelope.columns(curve.x, curve.y, view, pixels)
        dense = len(x) < len(curve.x) and len(x) > pixels
        if dense != curve.dense:
            curve.dense = dense
            self._pens(curve)
        lone = len(curve.x) == 1  # a single value: a dot, not an invisible line
        curve.raw.setData(x, y, symbol="o" if lone else None, symbolSize=7, symbolBrush=curve.color)
        if self.weight > 0 and len(curve.smoothed) == len(curve.y):
            curve.smooth.setData(*curve.smooth_envelope.columns(curve.x, curve.smoothed.view(), view, pixels))

    def _on_range_changed(self, *_args: object) -> None:
        """Zoom or pan: the envelope of the new view, drawn before the next timer tick."""
        if self._view() is None and self._drawn_view is None:
            return  # following the data: everything is drawn already
        self._range_dirty = True
        self._soon.start()

    def _on_resized(self, *_args: object) -> None:
        self._range_dirty = True
        self._soon.start()

    def curve_data(self) -> dict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]]:
        """The data each curve shows (all points, before any reduction for drawing)."""
        return {ident: (curve.x, curve.y) for ident, curve in self._curves.items()}

    def drawn_data(self) -> dict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]]:
        """What each raw curve was last given to draw (the envelope)."""
        out = {}
        for ident, curve in self._curves.items():
            x, y = curve.raw.getData()
            out[ident] = (np.empty(0) if x is None else x, np.empty(0) if y is None else y)
        return out

    def stop(self) -> None:
        """Stop the timers and drop every curve (docs/architecture.md "Shutdown")."""
        self._timer.stop()
        self._soon.stop()
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
