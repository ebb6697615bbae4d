"""A node's run state on the canvas: a pill with an icon and a word, never colour alone.

``StatusBadge`` is a child item of the scene's node item; ``BadgeOverlay`` keeps one badge per
node in step with the node-state model (and re-attaches them when the scene rebuilds its items).
"""

from __future__ import annotations

import math
import time
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from designer.bridge.node_states import NodeState, NodeStateModel
from designer.canvas.style import STATUS_COLORS
from designer.run.node_overlays import attach_to_nodes

HEIGHT = 20.0
# A failed node's badge never gets smaller than this on screen, so it is seen at any zoom.
MIN_FAILED_PX = 18.0


def format_elapsed(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def badge_text(state: NodeState, now: float | None = None) -> str:
    if state.from_run is not None:  # an earlier run's result beside a partial run
        return f"{state.status.replace('-', ' ')} · {'out of date' if state.out_of_date else 'earlier run'}"
    if state.status == "running":
        elapsed = state.elapsed(now)
        return f"running {format_elapsed(elapsed)}" if elapsed is not None else "running"
    if state.status == "failed" and state.exit_code not in (None, 0):
        return f"failed (exit {state.exit_code})"
    return state.status.replace("-", " ")  # "awaiting approval"


def badge_tooltip(state: NodeState, error_line: str = "") -> str:
    """The status and message, the log line that says why it failed, where an earlier result is from."""
    lines = [f"{state.status}" + (f": {state.message}" if state.message else "")]
    if error_line and error_line not in state.message:
        lines.append(error_line)
    if state.reused_from:
        lines.append(f"reused execution {state.reused_from}")
    if state.from_run is not None:
        lines.append(f"From an earlier run ({state.from_run}); this node was not part of the last run.")
        if state.out_of_date:
            lines.append("Out of date with the file: " + "; ".join(state.out_of_date))
        else:
            lines.append("Up to date with the file.")
    return "\n".join(lines)


class StatusBadge(QGraphicsItem):
    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.state = NodeState("queued")
        self.text = ""  # set_state sizes the pill for its first text
        self._font = QFont()
        self._font.setPointSizeF(8.0)
        self._font.setBold(True)
        self._width = 60.0
        self.setZValue(10)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def set_state(self, state: NodeState, now: float | None = None, error_line: str = "") -> None:
        text = badge_text(state, now)
        tip = badge_tooltip(state, error_line)
        if text == self.text and state == self.state and tip == self.toolTip():
            return
        self.prepareGeometryChange()
        self.state, self.text = state, text
        self._width = QFontMetricsF(self._font).horizontalAdvance(text) + HEIGHT + 12
        self.setToolTip(tip)
        self.setOpacity(0.6 if state.from_run is not None and not state.out_of_date else 1.0)
        self._place()
        self.update()

    def fit_zoom(self, zoom: float) -> None:
        """Grow a failed node's badge at low zoom so it stays at least MIN_FAILED_PX high on screen."""
        wanted = MIN_FAILED_PX / (HEIGHT * max(zoom, 1e-3))
        scale = max(1.0, wanted) if self.state.status == "failed" and self.state.from_run is None else 1.0
        if abs(self.scale() - scale) > 1e-3:
            self.setTransformOriginPoint(self._width, HEIGHT)  # grows up and left, off the card's ports
            self.setScale(scale)

    def _place(self) -> None:
        parent = self.parentItem()
        width = parent.boundingRect().width() if parent is not None else 200.0
        self.setPos(width - self._width - 10, -HEIGHT + 3)  # above the card's own type tag

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self._width, HEIGHT)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        color = QColor(STATUS_COLORS.get(self.state.status, "#6e7781"))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(color.darker(125), 1)
        if self.state.out_of_date:  # an earlier result the file has moved on from: amber, dashed
            pen = QPen(QColor(STATUS_COLORS.get("awaiting-approval", "#bf8700")), 2, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(QBrush(color))
        painter.drawRoundedRect(self.boundingRect().adjusted(0.5, 0.5, -0.5, -0.5), HEIGHT / 2, HEIGHT / 2)
        _draw_icon(painter, self.state.status, QRectF(4, 3, HEIGHT - 6, HEIGHT - 6))
        painter.setPen(QColor("white"))
        painter.setFont(self._font)
        text_rect = QRectF(HEIGHT, 0, self._width - HEIGHT - 6, HEIGHT)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.text)


def _draw_icon(p: QPainter, status: str, r: QRectF) -> None:
    """Small white vector icons (no font glyphs: they differ between systems)."""
    white = QColor("white")
    pen = QPen(white, 1.8)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    c = r.center()
    if status == "succeeded":
        p.drawPolyline(
            QPolygonF(
                [
                    QPointF(r.left() + 1, c.y()),
                    QPointF(c.x() - 1, r.bottom() - 1),
                    QPointF(r.right(), r.top() + 1),
                ]
            )
        )
    elif status == "failed":
        p.drawLine(r.topLeft() + QPointF(2, 2), r.bottomRight() - QPointF(2, 2))
        p.drawLine(r.topRight() + QPointF(-2, 2), r.bottomLeft() + QPointF(2, -2))
    elif status == "running":
        p.setBrush(white)
        p.drawPolygon(
            QPolygonF(
                [r.topLeft() + QPointF(3, 1), r.bottomLeft() + QPointF(3, -1), QPointF(r.right() - 1, c.y())]
            )
        )
    elif status == "cancelled":
        p.setBrush(white)
        p.drawRect(r.adjusted(3, 3, -3, -3))
    elif status == "stopped":
        p.drawRect(r.adjusted(3, 3, -3, -3))
    elif status == "awaiting-approval":  # paused: two bars
        p.drawLine(QPointF(c.x() - 2.5, r.top() + 2), QPointF(c.x() - 2.5, r.bottom() - 2))
        p.drawLine(QPointF(c.x() + 2.5, r.top() + 2), QPointF(c.x() + 2.5, r.bottom() - 2))
    elif status == "skipped":
        for dx in (0.0, 5.0):
            p.drawPolyline(
                QPolygonF(
                    [
                        QPointF(r.left() + 2 + dx, r.top() + 2),
                        QPointF(c.x() + dx - 1, c.y()),
                        QPointF(r.left() + 2 + dx, r.bottom() - 2),
                    ]
                )
            )
    elif status == "reused":
        path = QPainterPath()
        path.arcMoveTo(r.adjusted(1, 1, -1, -1), 30)
        path.arcTo(r.adjusted(1, 1, -1, -1), 30, 280)
        p.drawPath(path)
        tip = path.pointAtPercent(1.0)
        p.drawLine(tip, tip + QPointF(3.5 * math.cos(0.2), -3.5))
        p.drawLine(tip, tip + QPointF(4, 1))
    else:  # queued / interrupted: a clock
        p.drawEllipse(r.adjusted(1, 1, -1, -1))
        p.drawLine(c, QPointF(c.x(), r.top() + 3))
        p.drawLine(c, QPointF(r.right() - 3, c.y()))


class BadgeOverlay(QObject):
    """Keeps a badge on every node item that has a state; a 1 Hz tick advances running clocks."""

    def __init__(self, scene: Any, model: NodeStateModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.scene = scene
        self.model = model
        self.badges: dict[str, StatusBadge] = {}
        self.error_lines: dict[str, str] = {}  # node -> the log line that says why it failed
        self.zoom = 1.0
        model.node_changed.connect(lambda _n: self.sync())
        model.states_reset.connect(self.sync)
        self._tick = QTimer(self, interval=1000)
        self._tick.timeout.connect(self.sync)
        self._tick.start()

    def sync(self) -> None:
        if not shiboken6.isValid(self.scene):
            return
        items: dict[str, QGraphicsItem] = getattr(self.scene, "node_items", {})
        states = self.model.shown()
        now = time.time()
        self._sync_outlines(self.model.states())
        for name, badge in attach_to_nodes(self.badges, states, items, StatusBadge):
            state = states[name]
            badge.set_state(state, now, self.error_lines.get(name, "") if state.status == "failed" else "")
            badge._place()
            badge.fit_zoom(self.zoom)

    def set_error_line(self, node: str, line: str | None) -> None:
        """The line of the node's log that says why it failed (shown in its badge's tooltip)."""
        if line:
            self.error_lines[node] = line
        else:
            self.error_lines.pop(node, None)
        self.sync()

    def set_zoom(self, zoom: float) -> None:
        self.zoom = zoom
        for badge in self.badges.values():
            if shiboken6.isValid(badge):
                badge.fit_zoom(zoom)

    def _sync_outlines(self, states: dict[str, NodeState]) -> None:
        """The canvas' own coloured outline (``PipelineScene.set_node_status``), when it has one."""
        set_status = getattr(self.scene, "set_node_status", None)
        if set_status is None:
            return
        for name in [n for n in getattr(self.scene, "node_status", {}) if n not in states]:
            set_status(name, None)
        for name, state in states.items():
            set_status(name, state.status)

    def stop(self) -> None:
        self._tick.stop()
