"""One small plot per key (TensorBoard's layout): a scrolling grid of ``MetricsPlot``s whose x
ranges move together, under one legend of the series (each plot's title names its key). Also
what a dock group of other quantities (a System group) can reuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QLineF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen, QPixmap, QResizeEvent
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from designer.run.metrics_plot import MetricsPlot
from designer.run.plot_style import LEGEND_HIDDEN, LEGEND_INSIDE

COLUMN_WIDTH = 360  # a plot is at least this wide; as many columns as fit
ROW_HEIGHT = 230


class KeyPlots(QScrollArea):
    def __init__(self, parent: QWidget | None = None, min_height: int = ROW_HEIGHT) -> None:
        super().__init__(parent)
        self._min_height = min_height
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self._inner = QWidget()
        outer = QVBoxLayout(self._inner)
        outer.setContentsMargins(0, 0, 0, 0)
        self.legend = SeriesLegend(self._inner)
        outer.addWidget(self.legend)
        grid_box = QWidget(self._inner)
        outer.addWidget(grid_box, 1)
        self._grid = QGridLayout(grid_box)
        self._grid.setContentsMargins(4, 4, 4, 4)
        self._grid.setSpacing(6)
        self.setWidget(self._inner)
        self.plots: dict[str, MetricsPlot] = {}
        self._order: list[str] = []
        self._options: dict[str, Any] = {}
        self._columns = 0

    def set_plots(self, groups: Sequence[tuple[str, Sequence[tuple[Any, ...]]]]) -> None:
        """``groups``: (title, curves) per plot, in order; plots that stay keep their zoom."""
        titles = [t for t, _c in groups]
        for title in [t for t in self.plots if t not in titles]:
            plot = self.plots.pop(title)
            plot.stop()
            plot.widget.setParent(None)
            plot.widget.deleteLater()
        for title, curves in groups:
            plot = self.plots.get(title)
            if plot is None:
                plot = self.plots[title] = self._new_plot(title)
            plot.set_curves(curves)
        self._order = titles
        self._columns = 0
        self._relayout()
        self._update_legend()

    def _update_legend(self) -> None:
        """One entry per series (what tells them apart: line style, or colour in a task)."""
        seen: dict[str, tuple[str, Any]] = {}
        for plot in self.plots.values():
            for curve in plot._curves.values():
                color = curve.color if plot.color_by_series else plot.colors.text.name()
                seen.setdefault(curve.source.label, (color, curve.dash))
        self.legend.set_entries([(label, color, style) for label, (color, style) in seen.items()])
        self.legend.setVisible(bool(seen) and self._options.get("legend", LEGEND_INSIDE) != LEGEND_HIDDEN)

    def _new_plot(self, title: str) -> MetricsPlot:
        widget = pg.PlotWidget()
        widget.setMinimumHeight(self._min_height)
        widget.setPalette(self.palette())
        plot = MetricsPlot(widget, self)
        plot.set_legend(LEGEND_HIDDEN)  # the grid's own legend names the series
        plot.item.setTitle(title, size="10pt", color=plot.colors.text.name())
        first = next(iter(self.plots.values()), None)
        if first is not None:
            plot.item.setXLink(first.item)
        for name, value in self._options.items():
            self._set(plot, name, value)
        return plot

    def configure(self, **options: Any) -> None:
        """x_key, weight, log_y, legend, color_by_series: the same on every plot."""
        self._options.update(options)
        for plot in self.plots.values():
            for name, value in options.items():
                self._set(plot, name, value)
        self._update_legend()

    def options(self) -> dict[str, Any]:
        return dict(self._options)

    @staticmethod
    def _set(plot: MetricsPlot, name: str, value: Any) -> None:
        if name == "x_key":
            plot.set_x_key(value)
        elif name == "weight":
            plot.set_smoothing(value)
        elif name == "log_y":
            plot.set_log_y(value)
        elif name == "legend":
            plot.set_legend(LEGEND_HIDDEN)  # the grid's own legend names the series
        elif name == "color_by_series":
            plot.color_by_series = value

    def apply_palette(self, palette: QPalette) -> None:
        for title, plot in self.plots.items():
            plot.apply_palette(palette)
            plot.item.setTitle(title, size="10pt", color=plot.colors.text.name())
        self._update_legend()

    def fit(self) -> None:
        for plot in self.plots.values():
            plot.fit()

    def refresh(self) -> None:
        for plot in self.plots.values():
            plot.refresh()

    def stop(self) -> None:
        for plot in self.plots.values():
            plot.stop()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._relayout()

    def _relayout(self) -> None:
        columns = max(1, self.viewport().width() // COLUMN_WIDTH)
        if columns == self._columns and self._grid.count() == len(self._order):
            return
        self._columns = columns
        while self._grid.count():
            self._grid.takeAt(0)
        for i, title in enumerate(self._order):
            self._grid.addWidget(self.plots[title].widget, i // columns, i % columns)
        for c in range(self._grid.columnCount()):
            self._grid.setColumnStretch(c, 1 if c < columns else 0)
        for r in range(self._grid.rowCount()):
            self._grid.setRowStretch(r, 1)  # few plots share the height; many scroll


class SeriesLegend(QWidget):
    """A row of line samples and series names above the plots."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(8, 2, 8, 0)
        self.entries: list[tuple[str, str, Qt.PenStyle]] = []

    def set_entries(self, entries: list[tuple[str, str, Qt.PenStyle]]) -> None:
        if entries == self.entries and self._row.count():
            return
        while self._row.count():
            item = self._row.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for label, color, style in entries:
            sample = QLabel(self)
            sample.setPixmap(_sample(color, style))
            self._row.addWidget(sample)
            self._row.addWidget(QLabel(label, self))
            self._row.addSpacing(14)
        self._row.addStretch(1)
        self.entries = list(entries)


def _sample(color: str, style: Qt.PenStyle) -> QPixmap:
    pix = QPixmap(34, 12)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    pen = QPen(QColor(color), 2, style)
    painter.setPen(pen)
    painter.drawLine(QLineF(1, 6, 33, 6))
    painter.end()
    return pix
