"""A cheap grid for the metrics plot.

pyqtgraph's axis grid (``showGrid``) is part of each axis' cached picture and costs ~20 ms a
frame to play back here; this item draws the same tick lines directly with a 1-pixel cosmetic
pen, in well under a millisecond.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QColor, QPainter, QPen


class TickGrid(pg.GraphicsObject):
    def __init__(self, plot_item: pg.PlotItem, major: QColor, minor: QColor) -> None:
        super().__init__()
        self._plot = plot_item
        self._pens: list[QPen] = []
        self.set_colors(major, minor)
        self.setZValue(-100)
        plot_item.vb.sigRangeChanged.connect(lambda *_: self.prepareGeometryChange())

    def set_colors(self, major: QColor, minor: QColor) -> None:
        self._pens = []
        for color in (major, minor):
            pen = QPen(color)
            pen.setCosmetic(True)
            pen.setWidth(1)
            self._pens.append(pen)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._plot.vb.viewRect()

    def paint(self, painter: QPainter, *_args: Any) -> None:
        vb = self._plot.vb
        rect = vb.viewRect()
        size = vb.size()
        if size.width() < 1 or size.height() < 1:  # collapsed: no ticks (and no division by zero)
            return
        lines: list[list[QLineF]] = [[], []]
        x_ticks = self._plot.getAxis("bottom").tickValues(rect.left(), rect.right(), size.width())
        y_ticks = self._plot.getAxis("left").tickValues(rect.top(), rect.bottom(), size.height())
        for level, (_spacing, values) in enumerate(x_ticks[:2]):
            lines[level] += [QLineF(v, rect.top(), v, rect.bottom()) for v in values]
        for level, (_spacing, values) in enumerate(y_ticks[:2]):
            lines[level] += [QLineF(rect.left(), v, rect.right(), v) for v in values]
        for level in (1, 0):  # minor first, major on top
            painter.setPen(self._pens[level])
            painter.drawLines(lines[level])
