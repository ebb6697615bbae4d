"""An edge drawn as a horizontal-tangent cubic curve from an out-port to an in-port."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem, QWidget

from designer.canvas.port_item import PortItem
from designer.canvas.style import PORT_COLORS, theme
from designer.document.model_api import ResolvedEdge

_LABEL_FONT = QFont()
_LABEL_FONT.setPointSizeF(8.0)


def curve(a: QPointF, b: QPointF) -> QPainterPath:
    """The edge shape between two scene points (also used for the drag preview)."""
    dx = max(abs(b.x() - a.x()) * 0.5, 40.0)
    path = QPainterPath(a)
    path.cubicTo(QPointF(a.x() + dx, a.y()), QPointF(b.x() - dx, b.y()), b)
    return path


def detour(a: QPointF, b: QPointF, obstacles: list[QRectF]) -> QPainterPath:
    """A curve that passes above or below the nodes between ``a`` and ``b`` instead of behind them."""
    if not obstacles or b.x() <= a.x():
        return curve(a, b)
    top = min(r.top() for r in obstacles) - 26.0
    bottom = max(r.bottom() for r in obstacles) + 26.0
    y = top if abs(a.y() - top) + abs(b.y() - top) <= abs(a.y() - bottom) + abs(b.y() - bottom) else bottom
    left = min(r.left() for r in obstacles) - 24.0
    right = max(r.right() for r in obstacles) + 24.0
    path = QPainterPath(a)
    dx1 = max((left - a.x()) * 0.5, 20.0)
    path.cubicTo(QPointF(a.x() + dx1, a.y()), QPointF(left - dx1, y), QPointF(left, y))
    path.lineTo(QPointF(right, y))
    dx2 = max((b.x() - right) * 0.5, 20.0)
    path.cubicTo(QPointF(right + dx2, y), QPointF(b.x() - dx2, b.y()), b)
    return path


class EdgeItem(QGraphicsPathItem):
    """Projection of one ``ResolvedEdge``; the pattern shows on hover and when selected."""

    def __init__(self, edge: ResolvedEdge, source: PortItem, target: PortItem) -> None:
        super().__init__()
        self.edge = edge
        self.source = source
        self.target = target
        self._hover = False
        self._shape: QPainterPath | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(0.0)
        self.setToolTip(f"{edge.source}\n→ {edge.target}")
        self.setPath(curve(source.anchor(), target.anchor()))  # routed once it is in the scene

    @property
    def key(self) -> tuple[str, str]:
        return (self.edge.source, self.edge.target)

    def update_path(self) -> None:
        self._shape = None
        a, b = self.source.anchor(), self.target.anchor()
        scene = self.scene()
        finder = getattr(scene, "obstacles_between", None)
        obstacles = finder(a, b, (self.source.parentItem(), self.target.parentItem())) if finder else []
        self.setPath(detour(a, b, obstacles))

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(10.0)
            self._shape = stroker.createStroke(self.path())
        return self._shape

    def boundingRect(self) -> QRectF:
        r = super().boundingRect().adjusted(-6, -6, 6, 6)
        if self._hover or self.isSelected():
            r = r.united(self._label_rect())
        return r

    def hoverEnterEvent(self, event) -> None:
        self.prepareGeometryChange()
        self._hover = True
        self.setZValue(2.0)  # above the nodes, so the pattern label is readable
        self.update()

    def hoverLeaveEvent(self, event) -> None:
        self.prepareGeometryChange()
        self._hover = False
        self.setZValue(2.0 if self.isSelected() else 0.0)
        self.update()

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedChange:
            self.prepareGeometryChange()
            self.setZValue(2.0 if value else 0.0)
        return super().itemChange(change, value)

    def _label_text(self) -> str:
        return f"{self.edge.source_key} → {self.edge.target_key}"

    def _label_rect(self) -> QRectF:
        fm = QFontMetricsF(_LABEL_FONT)
        w = fm.horizontalAdvance(self._label_text()) + 12
        mid = self.path().pointAtPercent(0.5)
        return QRectF(mid.x() - w / 2, mid.y() - 30, w, 20)  # above the curve, off the ports

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        t = theme()
        # While nodes of a big graph are dragged, edges are drawn aliased (8x cheaper); the
        # scene repaints them smooth on release.
        smooth = not getattr(self.scene(), "interacting", False)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, smooth)
        emphasis = self._hover or self.isSelected()
        color = QColor(PORT_COLORS.get(self.edge.source_type, "#888888"))
        if not (self.source.port.declared and self.target.port.declared):
            color = t.error
        if self.isSelected():
            color = t.selection
        # Large graphs get hairline, solid edges: wide or dashed strokes cost ~5-30x more to rasterize.
        fast = getattr(self.scene(), "fast_edges", False)
        width = 2.6 if emphasis else (1.0 if fast else 1.7)
        if not emphasis:
            color.setAlpha(200)
        pen = QPen(color, width)
        if self.edge.source_type in ("parameter", "metadata") and not fast:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        if emphasis:
            rect = self._label_rect()
            painter.setPen(QPen(color, 1))
            painter.setBrush(t.node_fill)
            painter.drawRoundedRect(rect, 9, 9)
            painter.setFont(_LABEL_FONT)
            painter.setPen(t.node_text)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self._label_text())
