"""The canvas view: zoom about the cursor, panning, fit, rubber-band selection."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPalette,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView, QLabel, QWidget

from designer.canvas.panning import Panning
from designer.canvas.scene import PipelineScene

MIN_ZOOM, MAX_ZOOM = 0.1, 4.0


class CanvasView(QGraphicsView):
    # The zoom factor changed (1.0 = 100 %)
    zoom_changed = Signal(float)

    def __init__(self, scene: PipelineScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)  # the grid is drawn once per view
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        # Rubber-band selection is Qt's own drag mode: dragging on empty canvas selects.
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setAcceptDrops(True)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        # Navigation is by panning and zooming, as in other node editors: no scroll bars.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.panning = Panning(self)
        # Whether the file declares steps: the how-to-start hint offers New Step only when it does not.
        self.has_steps = False
        # Why the canvas is behind the YAML text (a syntax error), or None when it is not.
        self.notice: str | None = None
        self.banner = QLabel(self.viewport())
        self.banner.setObjectName("out-of-date-banner")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.PlainText)
        self.banner.setStyleSheet(
            "QLabel#out-of-date-banner { background: #fff8c5; color: #3b2300; border: 1px solid #d4a72c;"
            " border-radius: 4px; padding: 6px 10px; }"
        )
        self.banner.hide()
        # The hint is drawn over the whole viewport but a new node repaints only its own area:
        # repaint everything when the canvas stops (or starts) being empty.
        self._was_empty = True
        scene.changed.connect(self._on_scene_changed)

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float, anchor_view_pos=None) -> None:
        """Zoom to ``factor``, keeping the scene point under ``anchor_view_pos`` fixed."""
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        if anchor_view_pos is None:
            anchor_view_pos = self.viewport().rect().center()
        before = self.mapToScene(anchor_view_pos)
        s = factor / self.zoom
        self.scale(s, s)
        after = self.mapToScene(anchor_view_pos)
        delta = after - before
        self.translate(delta.x(), delta.y())
        self.zoom_changed.emit(self.zoom)

    def set_notice(self, notice: str | None) -> None:
        """Say that the canvas shows an older text than the YAML view (``None``: it does not).

        Over nodes it is a banner; on an empty canvas (a file opened broken) it replaces the
        how-to-start hint, since the canvas is waiting for a text that parses."""
        self.notice = notice
        has_nodes = bool(getattr(self.scene(), "node_items", None))
        self.banner.setText(
            f"Out of date: {notice}\nThe canvas shows the last version that parsed." if notice else ""
        )
        self.banner.setVisible(bool(notice) and has_nodes)
        self._place_banner()
        self.viewport().update()

    def _place_banner(self) -> None:
        width = max(200, self.viewport().width() - 24)
        self.banner.setFixedWidth(width)
        self.banner.adjustSize()
        self.banner.move(12, 10)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_banner()

    def _hint(self) -> str:
        return (
            f"Waiting for a file that parses.\n\n{self.notice}\n\n"
            "Fix it in the YAML view: the canvas follows as soon as the text parses."
            if self.notice
            else self.empty_hint
        )

    @property
    def empty_hint(self) -> str:
        if self.has_steps:
            return "Drag a step from the Steps panel here to add a node."
        return (
            "Drag a step from the Steps panel here to add a node.\n"
            "No steps yet? Use Pipeline ▸ New Step…, or open a valohai.yaml (Ctrl+O)."
        )

    def set_has_steps(self, has_steps: bool) -> None:
        if has_steps != self.has_steps:
            self.has_steps = has_steps
            self.viewport().update()

    def _hint_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        return font

    def _hint_area(self) -> QRect:
        return self.viewport().rect().adjusted(24, 0, -24, 0)  # wrapped, never clipped at the sides

    def hint_rect(self) -> QRect:
        """Where the empty-canvas hint is drawn: wrapped to the viewport, inside its margins."""
        flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
        return QFontMetrics(self._hint_font()).boundingRect(self._hint_area(), int(flags), self._hint())

    def is_empty(self) -> bool:
        return not getattr(self.scene(), "node_items", None)

    def _on_scene_changed(self, _regions: object) -> None:
        empty = self.is_empty()
        if empty != self._was_empty:
            self._was_empty = empty
            self.viewport().update()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        """On an empty canvas, say how to start (or what it waits for)."""
        if not self.is_empty():
            return
        painter.save()
        painter.resetTransform()
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.setFont(self._hint_font())
        flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
        painter.drawText(self._hint_area(), flags, self._hint())
        painter.restore()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps == 0:
            super().wheelEvent(event)
            return
        self.set_zoom(self.zoom * (1.15**steps), event.position().toPoint())
        event.accept()

    def fit(self) -> None:
        """Fit all nodes, never magnifying beyond 100 %."""
        scene = self.scene()
        items = [i for i in scene.items() if i.parentItem() is None]
        if not items:
            return
        rect = QRectF()
        for item in items:
            rect = rect.united(item.sceneBoundingRect())
        rect.adjust(-40, -40, 40, 40)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom > 1.0:
            self.set_zoom(1.0)
        self.centerOn(rect.center())
        self.zoom_changed.emit(self.zoom)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.panning.key_press(event):
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if self.panning.key_release(event):
            return
        super().keyReleaseEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.panning.press(event):
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.panning.move(event):
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self.panning.release(event):
            event.accept()
            return
        super().mouseReleaseEvent(event)
