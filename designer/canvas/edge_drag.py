"""The edge-drag interaction: press on an out-port, drag, release on an in-port."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QToolTip

from designer.canvas.edge_item import curve
from designer.canvas.port_item import ACCEPTS, NEUTRAL, REFUSES, PortItem
from designer.canvas.style import PORT_COLORS

if TYPE_CHECKING:
    from designer.canvas.scene import PipelineScene

# checker(source_ref, target_ref) -> None when allowed, else the reason shown to the user.
EdgeChecker = Callable[[str, str], "str | None"]


class EdgeDrag:
    """Owns the preview curve and the port highlights for one drag; gone on release."""

    def __init__(self, scene: PipelineScene, source: PortItem, checker: EdgeChecker) -> None:
        self.scene = scene
        self.source = source
        self.preview = QGraphicsPathItem()
        pen = QPen(QColor(PORT_COLORS.get(source.port.type, "#888888")), 2.0, Qt.PenStyle.DashLine)
        self.preview.setPen(pen)
        self.preview.setZValue(10.0)
        scene.addItem(self.preview)
        self._targets: list[PortItem] = []
        for node in scene.node_items.values():
            for item in node.ports.values():
                if item.port.side != "in":
                    continue
                reason = checker(source.port.ref, item.port.ref)
                item.set_state(REFUSES if reason else ACCEPTS, reason)
                self._targets.append(item)
        self.move_to(source.anchor())

    def target_at(self, pos: QPointF) -> PortItem | None:
        for item in self.scene.items(pos):
            if isinstance(item, PortItem) and item.port.side == "in":
                return item
        return None

    def move_to(self, pos: QPointF) -> None:
        target = self.target_at(pos)
        end = target.anchor() if target is not None and target.state == ACCEPTS else pos
        self.preview.setPath(curve(self.source.anchor(), end))

    def finish(self, pos: QPointF, screen_pos: QPointF | None = None) -> tuple[str, str] | None:
        """End the drag; return (source, target) refs when the drop is allowed."""
        target = self.target_at(pos)
        result: tuple[str, str] | None = None
        if target is not None:
            if target.state == ACCEPTS:
                result = (self.source.port.ref, target.port.ref)
            elif target.refusal:
                self.scene.edge_refused.emit(target.refusal)
                if screen_pos is not None:
                    QToolTip.showText(screen_pos.toPoint(), target.refusal)
        self.cancel()
        return result

    def cancel(self) -> None:
        for item in self._targets:
            item.set_state(NEUTRAL)
        self._targets.clear()
        if self.preview.scene() is not None:
            self.scene.removeItem(self.preview)
