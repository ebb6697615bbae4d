"""A node's socket: the thing an edge starts from or ends at."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from designer.canvas.style import PORT_COLORS, PORT_RADIUS, theme
from designer.document.graph_model import Port

# Highlight states while an edge is dragged.
NEUTRAL, ACCEPTS, REFUSES = 0, 1, 2


class PortItem(QGraphicsItem):
    """Draws one port; its label is painted by the owning NodeItem (cheaper than a text item)."""

    def __init__(self, port: Port, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.port = port
        self.state = NEUTRAL
        self.refusal: str | None = None
        self._hover = False
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        tip = f"{port.type} · {port.key}"
        if not port.declared:
            tip += "\n(not declared by the step)"
        self.setToolTip(tip)

    def boundingRect(self) -> QRectF:
        r = PORT_RADIUS + 4
        return QRectF(-r, -r, 2 * r, 2 * r)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(self.boundingRect())
        return path

    def anchor(self) -> QPointF:
        """The scene point where edges attach."""
        return self.scenePos()

    def set_state(self, state: int, refusal: str | None = None) -> None:
        if state != self.state or refusal != self.refusal:
            self.state = state
            self.refusal = refusal
            self.update()

    def hoverEnterEvent(self, event) -> None:
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:
        self._hover = False
        self.update()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        t = theme()
        color = QColor(PORT_COLORS.get(self.port.type, "#888888"))
        if not self.port.declared and self.port.side == "in":
            color = t.error
        r = PORT_RADIUS + (1.5 if self._hover or self.state == ACCEPTS else 0)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.state == ACCEPTS:
            painter.setPen(QPen(t.highlight, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QPointF(0, 0), r + 3, r + 3)
        elif self.state == REFUSES:
            color.setAlpha(70)
        painter.setPen(QPen(t.node_fill, 1.5))
        painter.setBrush(QBrush(color))
        if self.port.type in ("parameter", "metadata"):
            r *= 1.2  # a diamond looks smaller than a circle of the same radius
            diamond = QPainterPath()
            diamond.moveTo(0, -r)
            diamond.lineTo(r, 0)
            diamond.lineTo(0, r)
            diamond.lineTo(-r, 0)
            diamond.closeSubpath()
            painter.drawPath(diamond)
        elif self.port.type == "file":
            painter.drawRoundedRect(QRectF(-r, -r, 2 * r, 2 * r), 2, 2)
        else:
            painter.drawEllipse(QPointF(0, 0), r, r)
        if self.port.key == "*" and self.port.type == "output":
            painter.setPen(QPen(t.node_fill, 1.4))
            painter.drawLine(QPointF(-2.5, 0), QPointF(2.5, 0))
            painter.drawLine(QPointF(0, -2.5), QPointF(0, 2.5))
