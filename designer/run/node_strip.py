"""Under a node's card, what the run says beyond its status: a task's execution counter, an
endpoint's URL (a link) and, while the node awaits approval, its Approve and Reject buttons.

``NodeStrip`` is a child item of the scene's node item (so it moves with it); ``StripOverlay``
keeps one strip per node in step with ``RunDetails`` (and re-attaches them when the scene
rebuilds its items), like ``BadgeOverlay`` does for the status pills.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QObject, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from designer.bridge.run_details import RunDetails
from designer.canvas.style import LINK_COLOR, LINK_COLOR_DARK, STATUS_COLORS, is_dark
from designer.run.node_overlays import attach_to_nodes

HEIGHT = 20.0
GAP = 6.0
APPROVE_COLOR = "#1a7f37"
REJECT_COLOR = "#cf222e"


@dataclass(frozen=True)
class ChipLook:
    """How a chip is drawn: filled (a button), outlined (a pill) or bare text (a link)."""

    text: str
    color: str
    filled: bool = False
    link: bool = False
    struck: bool = False  # a stopped endpoint's URL


class Chip(QGraphicsItem):
    """A small pill of text; clickable when it has ``on_click`` (then it is a button or a link)."""

    def __init__(
        self, look: ChipLook, parent: QGraphicsItem, on_click: Callable[[], None] | None = None
    ) -> None:
        super().__init__(parent)
        self.look = look
        self.on_click = on_click
        self._hover = False
        self._font = QFont()
        self._font.setPointSizeF(8.0)
        self._font.setBold(not look.link)
        self._font.setUnderline(look.link and not look.struck)
        self._font.setStrikeOut(look.struck)
        self.width = QFontMetricsF(self._font).horizontalAdvance(look.text) + (4 if look.link else 16)
        self.setZValue(11)
        if on_click is None:
            self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        else:
            self.setAcceptHoverEvents(True)
            self.setCursor(Qt.CursorShape.PointingHandCursor)

    @property
    def text(self) -> str:
        return self.look.text

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.width, HEIGHT)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        look = self.look
        color = QColor(look.color)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self.boundingRect().adjusted(0.5, 0.5, -0.5, -0.5)
        if look.filled:
            painter.setPen(QPen(color.darker(130), 1))
            painter.setBrush(QBrush(color.lighter(115) if self._hover else color))
            painter.drawRoundedRect(rect, 4, 4)
            painter.setPen(QColor("white"))
        elif not look.link:
            fill = QColor(color)
            fill.setAlpha(36)
            painter.setPen(QPen(color, 1))
            painter.setBrush(fill)
            painter.drawRoundedRect(rect, HEIGHT / 2, HEIGHT / 2)
            painter.setPen(color)
        else:
            painter.setPen(color.lighter(125) if self._hover else color)
        painter.setFont(self._font)
        painter.drawText(self.boundingRect(), Qt.AlignmentFlag.AlignCenter, look.text)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hover = False
        self.update()

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        event.accept()  # the press is ours: the node under the chip is neither selected nor dragged

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.on_click is not None and self.boundingRect().contains(event.pos()):
            self.on_click()


@dataclass(frozen=True)
class StripContent:
    counter: str | None = None  # "3/6 · 1 failed"
    counter_failed: bool = False
    url: str | None = None
    url_stopped: bool = False
    awaiting: str | None = None  # "node-starting" / "node-complete" while approval is pending
    reason: str = ""


class NodeStrip(QGraphicsItem):
    """The row of chips under one node's card."""

    def __init__(self, parent: QGraphicsItem, actions: StripActions) -> None:
        super().__init__(parent)
        self.actions = actions
        self.content = StripContent()
        self.chips: dict[str, Chip] = {}
        self.setZValue(10)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._width = 0.0

    @property
    def node(self) -> str:
        return str(getattr(self.parentItem(), "name", ""))

    def set_content(self, content: StripContent) -> None:
        self._place()
        if content == self.content and self.chips:
            return
        self.prepareGeometryChange()
        self.content = content
        for chip in self.chips.values():
            chip.setParentItem(None)
            if chip.scene() is not None:
                chip.scene().removeItem(chip)
        self.chips = {}
        node, a = self.node, self.actions
        if content.awaiting:
            amber = STATUS_COLORS["awaiting-approval"]
            self._add("awaiting", ChipLook("awaiting approval", amber))
            self._add("approve", ChipLook("Approve", APPROVE_COLOR, filled=True), lambda: a.approve(node))
            self._add("reject", ChipLook("Reject", REJECT_COLOR, filled=True), lambda: a.reject(node))
        if content.counter is not None:
            color = STATUS_COLORS["failed"] if content.counter_failed else STATUS_COLORS["running"]
            self._add("counter", ChipLook(content.counter, color))
        if content.url:
            if content.url_stopped:
                grey = STATUS_COLORS["stopped"]
                self._add("url", ChipLook(content.url, grey, link=True, struck=True))
                self._add("url-state", ChipLook("stopped", grey))
            else:
                link = LINK_COLOR_DARK if is_dark() else LINK_COLOR
                self._add(
                    "url", ChipLook(content.url, link, link=True), lambda: a.open_url(content.url or "")
                )
        x = 0.0
        for chip in self.chips.values():
            chip.setPos(x, 0)
            x += chip.width + GAP
        self._width = max(0.0, x - GAP)
        tip = f"{content.awaiting}: {content.reason}" if content.awaiting and content.reason else ""
        if "awaiting" in self.chips and tip:
            self.chips["awaiting"].setToolTip(tip)
        if "url" in self.chips:
            self.chips["url"].setToolTip("Open in the browser (right-click the node to copy it)")
        self.update()

    def _add(self, key: str, look: ChipLook, on_click: Callable[[], None] | None = None) -> None:
        self.chips[key] = Chip(look, self, on_click)

    def _place(self) -> None:
        parent = self.parentItem()
        height = float(getattr(parent, "height", 0.0))
        self.setPos(0.0, height + GAP)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self._width, HEIGHT)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        pass  # the chips draw themselves


class StripActions:
    """What the strip's buttons and link do (the run UI fills these in)."""

    def __init__(
        self,
        approve: Callable[[str], None],
        reject: Callable[[str], None],
        open_url: Callable[[str], None],
    ) -> None:
        self.approve = approve
        self.reject = reject
        self.open_url = open_url


def strip_content(details: RunDetails, node: str) -> StripContent:
    counts = details.counts(node)
    endpoint = details.endpoint(node)
    pending = details.pending(node)
    return StripContent(
        counter=counts.text() if counts is not None else None,
        counter_failed=bool(counts and counts.failed),
        url=endpoint.url if endpoint is not None and endpoint.url else None,
        url_stopped=bool(endpoint and endpoint.stopped),
        awaiting=pending.when if pending is not None else None,
        reason=pending.reason if pending is not None else "",
    )


class StripOverlay(QObject):
    """Keeps a strip under every node the run details mention."""

    def __init__(
        self, scene: object, details: RunDetails, actions: StripActions, parent: QObject | None = None
    ):
        super().__init__(parent)
        self.scene = scene
        self.details = details
        self.actions = actions
        self.strips: dict[str, NodeStrip] = {}
        details.node_changed.connect(lambda _n: self.sync())
        details.details_reset.connect(self.sync)

    def sync(self) -> None:
        if not shiboken6.isValid(self.scene):
            return
        items: dict[str, QGraphicsItem] = getattr(self.scene, "node_items", {})
        wanted = {n: strip_content(self.details, n) for n in self.details.nodes()}
        wanted = {n: c for n, c in wanted.items() if c != StripContent()}
        for name, strip in attach_to_nodes(self.strips, wanted, items, lambda i: NodeStrip(i, self.actions)):
            strip.set_content(wanted[name])
