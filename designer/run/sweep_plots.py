"""A task node's sweep at a glance: parallel coordinates and a parameter-against-metric scatter.

Shown beside the ranking table. Parallel coordinates: one vertical axis per varied parameter and
one for the chosen metric, one line per execution, coloured by the metric (best brightest, and
drawn last so it is on top). The scatter puts any parameter against any metric, on a log axis
when the parameter spans two decades or more (learning rates). Text parameters sit at evenly
spaced places on their axis. Clicking a line or a point picks that execution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

LOG_SPAN = 100.0  # max/min of two decades or more (all positive): a log scale reads better
MAX_TICKS = 8  # an axis with at most this many distinct values labels each of them
_COLORMAP = pg.colormap.get("viridis")


@dataclass
class SweepPoint:
    child: int  # the execution's number in the task (#k)
    params: dict[str, Any] = field(default_factory=dict)  # its varied parameter values
    metrics: dict[str, float] = field(default_factory=dict)  # latest value of each numeric key


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def axis_positions(
    values: list[Any], every: bool = True
) -> tuple[list[float | None], list[tuple[float, str]], bool]:
    """Values of one axis -> (position 0..1 of each, tick labels, log scale?).

    Numbers scale between their min and max (log when they span >= LOG_SPAN, all positive), each
    distinct value labelled when there are few (a grid's) and ``every``, else the two ends;
    anything else is a category, placed evenly in first-seen order.
    """
    present = [v for v in values if v is not None]
    if present and all(_is_number(v) for v in present):
        low, high = min(present), max(present)
        log = low > 0 and high / low >= LOG_SPAN
        f = (lambda v: math.log10(v)) if log else (lambda v: float(v))
        a, b = f(low), f(high)
        span = (b - a) or 1.0

        def place(v: float) -> float:
            return (f(v) - a) / span if b != a else 0.5

        distinct = sorted(set(present))
        shown = distinct if every and len(distinct) <= MAX_TICKS else [low, high]  # a grid's values
        ticks = [(place(v), f"{v:.3g}") for v in shown]
        return [None if v is None else place(v) for v in values], ticks, log
    categories: list[str] = []
    for v in present:
        if str(v) not in categories:
            categories.append(str(v))
    n = len(categories)
    place = {c: (i / (n - 1) if n > 1 else 0.5) for i, c in enumerate(categories)}
    pos = [None if v is None else place[str(v)] for v in values]
    return pos, [(place[c], c) for c in categories], False


def _plot(parent: QWidget) -> pg.PlotWidget:
    widget = pg.PlotWidget(parent)
    base = parent.palette().base().color()
    text = parent.palette().text().color()
    widget.setBackground(base)
    for name in ("left", "bottom"):
        widget.getAxis(name).setPen(text)
        widget.getAxis(name).setTextPen(text)
        widget.getAxis(name).enableAutoSIPrefix(False)  # "(x0.001)" reads as a unit
    widget.setMenuEnabled(False)
    return widget


class SweepPlots(QWidget):
    # An execution was clicked in a plot (its number k)
    execution_picked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: list[SweepPoint] = []
        self.metric = ""
        self.descending = True
        self.tabs = QTabWidget(self)
        self.parallel = _plot(self)
        self.parallel.hideAxis("left")
        self.parallel.hideAxis("bottom")
        self.parallel.setMouseEnabled(x=False, y=False)
        self.parallel_items: dict[int, Any] = {}
        self.tabs.addTab(self.parallel, "Parallel coordinates")
        scatter_page = QWidget(self)
        self.x_param = QComboBox(scatter_page)
        self.x_param.setToolTip("The parameter along the x axis")
        self.y_metric = QComboBox(scatter_page)
        self.y_metric.setToolTip("The metric along the y axis (its latest value)")
        for combo in (self.x_param, self.y_metric):
            combo.currentTextChanged.connect(lambda _t: self._draw_scatter())
        self.scatter = _plot(scatter_page)
        self.scatter_item = pg.ScatterPlotItem(size=11, hoverable=True, tip=self._tip)
        self.scatter_item.sigClicked.connect(self._scatter_clicked)
        self.scatter.addItem(self.scatter_item)
        row = QHBoxLayout()
        row.addWidget(QLabel("x:", scatter_page))
        row.addWidget(self.x_param, 1)
        row.addWidget(QLabel("y:", scatter_page))
        row.addWidget(self.y_metric, 1)
        column = QVBoxLayout(scatter_page)
        column.setContentsMargins(0, 4, 0, 0)
        column.addLayout(row)
        column.addWidget(self.scatter, 1)
        self.tabs.addTab(scatter_page, "Scatter")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

    # --- data in -------------------------------------------------------------------------------
    def set_points(self, points: list[SweepPoint], metric: str, descending: bool = True) -> None:
        self.points, self.metric, self.descending = list(points), metric, descending
        params = sorted({k for p in self.points for k in p.params})
        metrics = sorted({k for p in self.points for k in p.metrics})
        spread = {k: len({repr(p.params.get(k)) for p in self.points}) for k in params}
        widest = max(params, key=lambda k: spread[k]) if params and not self.x_param.count() else ""
        _refill(self.x_param, params, prefer=widest)  # at first, the parameter with most values
        _refill(self.y_metric, metrics, prefer=metric)
        self._draw_parallel()
        self._draw_scatter()

    def varied(self) -> list[str]:
        """The parameters that take more than one value: the parallel axes (all, if none varies)."""
        names = sorted({k for p in self.points for k in p.params})
        moving = [n for n in names if len({repr(p.params.get(n)) for p in self.points}) > 1]
        return moving or names

    def _colour(self, value: float | None, low: float, high: float) -> QColor:
        """The best stands out: the colour map's far end from the background, the worst fades."""
        if value is None:
            return QColor(140, 140, 140, 120)
        t = 0.5 if high == low else (value - low) / (high - low)
        t = t if self.descending else 1 - t  # 1: the best
        dark = self.palette().base().color().lightness() < 128
        colour = _COLORMAP.map(0.1 + 0.9 * t if dark else 0.9 - 0.9 * t, mode="qcolor")
        colour.setAlpha(int(110 + 145 * t))
        return colour

    # --- parallel coordinates ------------------------------------------------------------------
    def _draw_parallel(self) -> None:
        plot = self.parallel
        plot.clear()
        self.parallel_items = {}
        axes = [*self.varied(), self.metric] if self.metric else self.varied()
        if not axes or not self.points:
            return
        columns = []
        for i, name in enumerate(axes):
            is_metric = bool(self.metric) and i == len(axes) - 1
            values = [p.metrics.get(name) if is_metric else p.params.get(name) for p in self.points]
            positions, ticks, log = axis_positions(values, every=not is_metric)
            columns.append(positions)
            self._draw_axis(i, name + (" (log)" if log else ""), ticks, is_metric)
        scores = [p.metrics.get(self.metric) for p in self.points]
        known = [s for s in scores if s is not None]
        low, high = (min(known), max(known)) if known else (0.0, 0.0)
        order = sorted(
            range(len(self.points)), key=lambda j: (scores[j] is not None, _rank_key(scores[j], self))
        )
        for j in order:  # worst first: the best is drawn on top
            ys = [col[j] for col in columns]
            xs = [float(i) for i, y in enumerate(ys) if y is not None]
            line = pg.PlotCurveItem(
                np.array(xs),
                np.array([y for y in ys if y is not None]),
                pen=pg.mkPen(self._colour(scores[j], low, high), width=2.5 if j == order[-1] else 1.6),
                clickable=True,
            )
            line.child = self.points[j].child  # type: ignore[attr-defined]
            line.setToolTip(self.describe(self.points[j]))
            line.sigClicked.connect(lambda item, _ev=None: self.execution_picked.emit(item.child))
            plot.addItem(line)
            self.parallel_items[self.points[j].child] = line
        if self.metric:
            dark = self.palette().base().color().lightness() < 128
            better = "lower" if not self.descending else "higher"
            key = pg.TextItem(
                f"colour: {self.metric} ({'brighter' if dark else 'darker'} is better, {better} ranks first)",
                color=self.palette().placeholderText().color(),
                anchor=(0.0, 0.0),
            )
            key.setPos(-0.3, -0.02)
            plot.addItem(key)
        plot.setXRange(-0.35, len(axes) - 0.65, padding=0)
        plot.setYRange(-0.12, 1.24, padding=0)  # room above for the axis titles, below for the key

    def _draw_axis(self, x: int, title: str, ticks: list[tuple[float, str]], is_metric: bool) -> None:
        text = self.palette().text().color()
        mid = self.palette().mid().color()
        self.parallel.addItem(pg.PlotCurveItem([x, x], [0.0, 1.0], pen=pg.mkPen(mid, width=1)))
        label = pg.TextItem(title, color=text, anchor=(0.5, 1.0))
        font = label.textItem.font()
        font.setBold(True)
        label.setFont(font)
        label.setPos(x, 1.06)
        self.parallel.addItem(label)
        for y, tick in ticks[:12]:
            backing = QColor(self.palette().base().color())
            backing.setAlpha(200)  # readable over the lines that cross it
            item = pg.TextItem(tick, color=text, anchor=(0.0 if not is_metric else 1.0, 0.5), fill=backing)
            item.setPos(x + (0.04 if not is_metric else -0.04), y)
            item.setZValue(10)  # over the lines
            self.parallel.addItem(item)

    # --- scatter -------------------------------------------------------------------------------
    def _draw_scatter(self) -> None:
        name, metric = self.x_param.currentText(), self.y_metric.currentText()
        self.scatter_item.clear()
        if not name or not metric:
            return
        pts = [p for p in self.points if p.params.get(name) is not None and p.metrics.get(metric) is not None]
        values = [p.params[name] for p in pts]
        numeric = bool(values) and all(_is_number(v) for v in values)
        if numeric:
            xs = [float(v) for v in values]
            log = min(xs) > 0 and max(xs) / min(xs) >= LOG_SPAN
            self.scatter.setLogMode(x=log, y=False)
            self.scatter.getAxis("bottom").setTicks(None)
        else:
            self.scatter.setLogMode(x=False, y=False)
            categories = list(dict.fromkeys(str(v) for v in values))
            xs = [float(categories.index(str(v))) for v in values]
            self.scatter.getAxis("bottom").setTicks([list(enumerate(categories))])
        scores = [p.metrics[metric] for p in pts]
        low, high = (min(scores), max(scores)) if scores else (0.0, 0.0)
        spots = [
            {"pos": (x, y), "data": p, "brush": pg.mkBrush(self._colour(y, low, high)), "pen": pg.mkPen(None)}
            for x, y, p in zip(xs, scores, pts, strict=True)
        ]
        self.scatter_item.addPoints(spots)
        self.scatter.setLabel("bottom", name)
        self.scatter.setLabel("left", metric)
        if scores:
            pad = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
            self.scatter.setYRange(low - pad, high + pad, padding=0)
            self.scatter.enableAutoRange(axis="x")

    def _tip(self, x: Any = None, y: Any = None, data: Any = None) -> str:
        """The scatter's hover text (pyqtgraph calls it with x, y and the spot's data)."""
        return self.describe(data) if isinstance(data, SweepPoint) else ""

    @staticmethod
    def describe(point: SweepPoint) -> str:
        values = " ".join(f"{k}={v}" for k, v in sorted(point.params.items()))
        metrics = " ".join(f"{k}={v:.4g}" for k, v in sorted(point.metrics.items()))
        return f"#{point.child}  {values}\n{metrics}"

    def _scatter_clicked(self, _item: Any, spots: Any, _ev: Any = None) -> None:
        if len(spots):
            self.execution_picked.emit(spots[0].data().child)

    def shutdown(self) -> None:
        """Drop the plots' items before Python finalizes (see the GUI shutdown in designer/app.py)."""
        self.parallel.clear()
        self.scatter.clear()


def _rank_key(score: float | None, plots: SweepPlots) -> float:
    if score is None:
        return -math.inf
    return score if plots.descending else -score


def _refill(combo: QComboBox, items: list[str], prefer: str = "") -> None:
    current = combo.currentText()
    if [combo.itemText(i) for i in range(combo.count())] == items and (not prefer or current == prefer):
        return
    combo.blockSignals(True)
    combo.clear()
    combo.addItems(items)
    pick = prefer if prefer in items else current if current in items else (items[0] if items else "")
    combo.setCurrentText(pick)
    combo.blockSignals(False)


__all__ = ["SweepPlots", "SweepPoint", "axis_positions"]
