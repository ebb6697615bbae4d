"""A pipeline node on the canvas: a card with a header, a type badge and port rows."""

from __future__ import annotations

from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from designer.canvas.port_item import PortItem, draw_port, port_color
from designer.canvas.style import (
    AWAITING_FILL,
    AWAITING_FILL_DARK,
    HEADER_HEIGHT,
    NODE_WIDTH,
    PORT_RADIUS,
    ROW_HEIGHT,
    STATUS_COLORS,
    TYPE_COLORS,
    is_dark,
    theme,
)
from designer.document.graph_model import NodeView

if TYPE_CHECKING:
    from designer.canvas.edge_item import EdgeItem

MAX_NODE_WIDTH = 360.0
AWAITING = "awaiting-approval"  # runner.events.AWAITING_APPROVAL (the canvas does not import runner)
# Run states (issue 5 sets them through PipelineScene.set_node_status).
_TITLE_FONT = QFont()
_TITLE_FONT.setPointSizeF(10.0)
_TITLE_FONT.setBold(True)
_SMALL_FONT = QFont()
_SMALL_FONT.setPointSizeF(8.0)
_BADGE_FONT = QFont()
_BADGE_FONT.setPointSizeF(7.0)
_BADGE_FONT.setBold(True)


class NodeItem(QGraphicsItem):
    """Projection of one ``NodeView``; rebuilt from the document, never the other way round."""

    def __init__(self, node: NodeView) -> None:
        super().__init__()
        self.node = node
        self.edges: set[EdgeItem] = set()
        self.ports: dict[tuple[str, str, str], PortItem] = {}
        self.snap_to_grid = False
        self._height = HEADER_HEIGHT
        self._width = NODE_WIDTH
        self.status: str | None = None
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
        )
        self.setAcceptHoverEvents(True)
        self.setZValue(1.0)
        # The card is redrawn only when it changes; moving it just blits the cached pixmap.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.set_node(node)

    @property
    def name(self) -> str:
        return self.node.name

    def set_node(self, node: NodeView) -> None:
        """Take a new description of the node (ports may have changed)."""
        self.prepareGeometryChange()
        self.node = node
        for item in self.ports.values():
            item.setParentItem(None)
            if item.scene() is not None:
                item.scene().removeItem(item)
        self.ports.clear()
        self._width, self._height = node_size(node)
        for i, port in enumerate(node.in_ports):
            item = PortItem(port, self)
            item.setPos(0.0, HEADER_HEIGHT + (i + 0.5) * ROW_HEIGHT + 4)
            self.ports[("in", port.type, port.key)] = item
        for i, port in enumerate(node.out_ports):
            item = PortItem(port, self)
            item.setPos(self._width, HEADER_HEIGHT + (i + 0.5) * ROW_HEIGHT + 4)
            self.ports[("out", port.type, port.key)] = item
        self.setToolTip(self._tooltip())
        self.update()

    def _tooltip(self) -> str:
        n = self.node
        lines = [f"<b>{n.name}</b> ({n.type})"]
        if n.step:
            lines.append(f"{'deployment' if n.type == 'deployment' else 'step'}: {n.step}")
        if n.image:
            lines.append(f"image: {n.image}")
        if n.missing_step:
            lines.append("<span style='color:#cf222e'>the step does not exist</span>")
        return "<br>".join(lines)

    @property
    def width(self) -> float:
        return self._width

    @property
    def height(self) -> float:
        return self._height

    def port_item(self, side: str, type_: str, key: str) -> PortItem | None:
        return self.ports.get((side, type_, key))

    def boundingRect(self) -> QRectF:
        return QRectF(-6, -6, self._width + 12, self._height + 12)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, self._width, self._height), 6, 6)
        return path

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        t = theme()
        n = self.node
        rect = QRectF(0, 0, self._width, self._height)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = self.isSelected()
        if option.levelOfDetailFromTransform(painter.worldTransform()) < 0.35:
            self._paint_far(painter, t, rect, selected)  # zoomed far out: text would be unreadable
            return
        # A soft shadow line under the card, then the card.
        painter.fillRect(QRectF(3, self._height, self._width - 6, 2), QColor(0, 0, 0, 30))
        border = t.selection if selected else (t.error if n.missing_step else t.node_border)
        painter.setPen(QPen(border, 2.0 if selected else 1.0))
        # A node waiting for a person's answer is amber all over, not only its outline.
        awaiting = self.status == AWAITING
        painter.setBrush(
            QColor(AWAITING_FILL_DARK if is_dark() else AWAITING_FILL) if awaiting else t.node_fill
        )
        painter.drawRoundedRect(rect, 6, 6)
        # A tinted header with a coloured top rule says the node type at a glance.
        accent = QColor(TYPE_COLORS.get(n.type, "#888888"))
        tint = QColor(accent)
        tint.setAlpha(30)
        painter.save()
        painter.setClipPath(self.shape())
        painter.fillRect(QRectF(0, 0, self._width, HEADER_HEIGHT + 2), tint)
        painter.fillRect(QRectF(0, 0, self._width, 3), accent)
        painter.restore()
        self._paint_header(painter, t, accent)
        self._paint_port_labels(painter, t)
        if self.status:
            self._paint_status(painter)

    def set_status(self, status: str | None) -> None:
        """Show a run state (queued, running, succeeded, failed, skipped, cancelled,
        awaiting-approval…) or nothing."""
        if status != self.status:
            self.status = status
            self.setToolTip(self._tooltip() + (f"<br>status: {status}" if status else ""))
            self.update()

    def _paint_status(self, painter: QPainter) -> None:
        color = QColor(STATUS_COLORS.get(self.status or "", "#8c959f"))
        rect = QRectF(0, 0, self._width, self._height)
        pen = QPen(color, 3.0)
        if self.status == AWAITING:
            pen.setStyle(Qt.PenStyle.DashLine)  # distinct even for someone who can't tell amber apart
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect.adjusted(-3, -3, 3, 3), 8, 8)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawEllipse(QPointF(self._width - 10, HEADER_HEIGHT - 12), 4.5, 4.5)

    def _paint_far(self, painter: QPainter, t: Any, rect: QRectF, selected: bool) -> None:
        accent = QColor(TYPE_COLORS.get(self.node.type, "#888888"))
        painter.setPen(QPen(t.selection if selected else accent, 6.0 if selected else 2.0))
        painter.setBrush(t.node_fill)
        painter.drawRect(rect)
        painter.fillRect(QRectF(0, 0, self._width, HEADER_HEIGHT), accent)

    def _paint_header(self, painter: QPainter, t: Any, accent: QColor) -> None:
        n = self.node
        badge_text = n.type.upper()
        fm_badge = QFontMetricsF(_BADGE_FONT)
        bw = fm_badge.horizontalAdvance(badge_text) + 10
        badge = QRectF(self._width - bw - 8, 8, bw, 15)
        fill = QColor(accent)
        fill.setAlpha(40)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(badge, 7, 7)
        painter.setFont(_BADGE_FONT)
        painter.setPen(accent)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, badge_text)

        painter.setFont(_TITLE_FONT)
        painter.setPen(t.node_text)
        fm = QFontMetricsF(_TITLE_FONT)
        title_w = badge.left() - 12 - 6
        painter.drawText(QPointF(12, 23), fm.elidedText(n.name, Qt.TextElideMode.ElideRight, title_w))
        painter.setFont(_SMALL_FONT)
        fm_small = QFontMetricsF(_SMALL_FONT)
        painter.setPen(t.error if n.missing_step else t.node_subtext)
        sub = n.step or "(no step)"
        if n.missing_step:
            sub = f"missing step: {sub}"
        painter.drawText(
            QPointF(12, 38), fm_small.elidedText(sub, Qt.TextElideMode.ElideRight, self._width - 24)
        )
        if n.image:
            painter.setPen(t.node_subtext)
            painter.drawText(
                QPointF(12, 49),
                fm_small.elidedText(n.image, Qt.TextElideMode.ElideMiddle, self._width - 28),
            )
        if n.in_ports or n.out_ports:
            painter.setPen(QPen(t.node_border, 0.8))
            painter.drawLine(QPointF(0.5, HEADER_HEIGHT + 2), QPointF(self._width - 0.5, HEADER_HEIGHT + 2))

    def _paint_port_labels(self, painter: QPainter, t: Any) -> None:
        painter.setFont(_SMALL_FONT)
        fm = QFontMetricsF(_SMALL_FONT)
        labels = {key: _port_label(item.port.type, item.port.key) for key, item in self.ports.items()}
        widest_out = max((fm.horizontalAdvance(labels[k]) for k in labels if k[0] == "out"), default=0.0)
        out_w = min(widest_out, self._width * 0.6)
        in_w = self._width - out_w - 40
        for key, item in self.ports.items():
            p = item.port
            draw_port(painter, p, item.pos(), PORT_RADIUS, port_color(p))
            painter.setFont(_SMALL_FONT)
            y = item.pos().y() + 4
            painter.setPen(t.error if not p.declared and p.side == "in" else t.node_text)
            if p.side == "in":
                painter.drawText(
                    QPointF(12, y), fm.elidedText(labels[key], Qt.TextElideMode.ElideRight, in_w)
                )
            else:
                shown = fm.elidedText(labels[key], Qt.TextElideMode.ElideLeft, out_w)
                painter.drawText(QPointF(self._width - 12 - fm.horizontalAdvance(shown), y), shown)


def _port_label(type_: str, key: str) -> str:
    return "all outputs (*)" if type_ == "output" and key == "*" else key


@lru_cache(maxsize=4096)
def node_size(node: NodeView) -> tuple[float, float]:
    """(width, height) of a node's card: wide enough for its longest labels side by side."""
    fm = _small_metrics()
    widest_in = max((fm.horizontalAdvance(p.key) for p in node.in_ports), default=0.0)
    widest_out = max((fm.horizontalAdvance(_port_label(p.type, p.key)) for p in node.out_ports), default=0.0)
    title = _title_metrics().horizontalAdvance(node.name) + 110
    width = float(min(MAX_NODE_WIDTH, max(NODE_WIDTH, widest_in + widest_out + 48, title)))
    rows = max(len(node.in_ports), len(node.out_ports))
    return width, HEADER_HEIGHT + rows * ROW_HEIGHT + (8.0 if rows else 0.0)


@cache
def _small_metrics() -> QFontMetricsF:
    return QFontMetricsF(_SMALL_FONT)


@cache
def _title_metrics() -> QFontMetricsF:
    return QFontMetricsF(_TITLE_FONT)
