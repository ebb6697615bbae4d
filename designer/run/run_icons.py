"""Icons of the run actions, painted in code (the run UI ships no image files)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

_SIZES = (16, 24, 32)
_COLORS = {
    "run": "#2ea043",
    "node": "#2f7fe0",
    "from": "#2f7fe0",
    "rerun": "#bc4c00",
    "cancel": "#cf222e",
    "next-failure": "#cf222e",
}


def run_icon(kind: str) -> QIcon:
    out = QIcon()
    for size in _SIZES:
        pix = QPixmap(size, size)
        pix.fill(Qt.GlobalColor.transparent)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.scale(size / 24, size / 24)
        _paint(p, kind, QColor(_COLORS[kind]))
        p.end()
        out.addPixmap(pix)
    return out


def _paint(p: QPainter, kind: str, color: QColor) -> None:
    pen = QPen(color, 2.0)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    if kind == "cancel":
        p.setBrush(color)
        p.drawRoundedRect(QRectF(6, 6, 12, 12), 2, 2)
        return
    if kind == "next-failure":  # a red dot with an arrow to the right: the next failed node
        p.setBrush(color)
        p.drawEllipse(QRectF(2.5, 7, 10, 10))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPolyline(QPolygonF([QPointF(15, 6.5), QPointF(20.5, 12), QPointF(15, 17.5)]))
        return
    if kind == "rerun":
        path = QPainterPath()
        path.arcMoveTo(QRectF(4, 4, 16, 16), 60)
        path.arcTo(QRectF(4, 4, 16, 16), 60, 270)
        p.drawPath(path)
        p.setBrush(color)
        p.drawPolygon(QPolygonF([QPointF(13, 1.5), QPointF(18.5, 5), QPointF(13, 8.5)]))
        return
    p.setBrush(color)
    if kind == "run":
        p.drawPolygon(QPolygonF([QPointF(7, 4), QPointF(7, 20), QPointF(20, 12)]))
    elif kind == "node":
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(QRectF(2.5, 5, 19, 14), 3, 3)
        p.setBrush(color)
        p.drawPolygon(QPolygonF([QPointF(9.5, 8.5), QPointF(9.5, 15.5), QPointF(16, 12)]))
    elif kind == "from":
        p.drawPolygon(QPolygonF([QPointF(9, 5), QPointF(9, 19), QPointF(20, 12)]))
        p.drawLine(QPointF(4, 5), QPointF(4, 19))
