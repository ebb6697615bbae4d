"""A node's socket: the thing an edge starts from or ends at.

The owning ``NodeItem`` draws the port glyphs into its cached picture; a ``PortItem`` itself
paints only while it is hovered or highlighted during an edge drag (cheap to show 300 nodes).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from designer.canvas.style import PORT_COLORS, PORT_RADIUS, theme
from designer.document.graph_model import Port

# Highlight states while an edge is dragged.
NEUTRAL, ACCEPTS, REFUSES = 0, 1, 2


def port_color(port: Port) -> QColor:
    if not port.declared and port.side == "in":
        return QColor(theme().error)
    return QColor(PORT_COLORS.get(port.type, "#888888"))


def draw_port(painter: QPainter, port: Port, center: QPointF, radius: float, color: QColor) -> None:
    """The glyph: circle (input/output), diamond (parameter/metadata), square (file)."""
    t = theme()
    painter.setPen(QPen(t.node_fill, 1.5))
    painter.setBrush(QBrush(color))
    x, y, r = center.x(), center.y(), radius
    if port.type in ("parameter", "metadata"):
        r *= 1.2  # a diamond looks smaller than a circle of the same radius
        diamond = QPainterPath()
        diamond.moveTo(x, y - r)
        diamond.lineTo(x + r, y)
        diamond.lineTo(x, y + r)
        diamond.lineTo(x - r, y)
        diamond.closeSubpath()
        painter.drawPath(diamond)
    elif port.type == "file":
        painter.drawRoundedRect(QRectF(x - r, y - r, 2 * r, 2 * r), 2, 2)
    else:
        painter.drawEllipse(center, r, r)
    if port.key == "*" and port.type == "output":
        painter.setPen(QPen(t.node_fill, 1.4))
        painter.drawLine(QPointF(x - 2.5, y), QPointF(x + 2.5, y))
        painter.drawLine(QPointF(x, y - 2.5), QPointF(x, y + 2.5))


_BOUNDS = QRectF(-PORT_RADIUS - 5, -PORT_RADIUS - 5, 2 * PORT_RADIUS + 10, 2 * PORT_RADIUS + 10)
_SHAPE = QPainterPath()
_SHAPE.addEllipse(_BOUNDS)


class PortItem(QGraphicsItem):
    """Hit target and highlight of one port."""

    def __init__(self, port: Port, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.port = port
        self.state = NEUTRAL
        self.refusal: str | None = None
        self._hover = False
        self.setAcceptHoverEvents(True)  # cursor and tooltip are set on first hover (cheaper to build)

    def boundingRect(self) -> QRectF:
        return _BOUNDS

    def shape(self) -> QPainterPath:
        return _SHAPE

    def anchor(self) -> QPointF:
        """The scene point where edges attach."""
        return self.scenePos()

    def set_state(self, state: int, refusal: str | None = None) -> None:
        if state != self.state or refusal != self.refusal:
            self.state = state
            self.refusal = refusal
            self.update()

    def hoverEnterEvent(self, event) -> None:
        if not self.toolTip():
            tip = f"{self.port.type} · {self.port.key}"
            if not self.port.declared:
                tip += "\n(not declared by the step)"
            self.setToolTip(tip)
            self.setCursor(Qt.CursorShape.CrossCursor)
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:
        self._hover = False
        self.update()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if self.state == NEUTRAL and not self._hover:
            return  # the node's picture already shows the glyph
        t = theme()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = port_color(self.port)
        r = PORT_RADIUS
        if self.state == REFUSES:
            # Dim the glyph drawn underneath by covering it with the card colour.
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(t.node_fill)
            painter.drawEllipse(QPointF(0, 0), r + 2.5, r + 2.5)
            color.setAlpha(70)
        else:
            r += 1.5
        if self.state == ACCEPTS:
            painter.setPen(QPen(t.highlight, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QPointF(0, 0), r + 3, r + 3)
        draw_port(painter, self.port, QPointF(0, 0), r, color)
