"""The canvas view: zoom about the cursor, panning, fit, rubber-band selection."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QMouseEvent, QPainter, QPalette, QWheelEvent
from PySide6.QtWidgets import QGraphicsView, QWidget

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
        self.empty_hint = (
            "Drag a step from the Steps panel here to add a node.\n"
            "No steps yet? Use Pipeline ▸ New Step…, or open a valohai.yaml (Ctrl+O)."
        )
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

    def _hint_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        return font

    def hint_rect(self) -> QRect:
        """Where the empty-canvas hint is drawn: wrapped to the viewport, inside its margins."""
        area = self.viewport().rect().adjusted(24, 24, -24, -24)
        flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
        return QFontMetrics(self._hint_font()).boundingRect(area, int(flags), self.empty_hint)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        """On an empty canvas, say how to start."""
        if not self.is_empty():
            return
        painter.save()
        painter.resetTransform()
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.setFont(self._hint_font())
        area = self.viewport().rect().adjusted(24, 24, -24, -24)  # wrapped, never clipped at the sides
        painter.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.empty_hint)
        painter.restore()

    def is_empty(self) -> bool:
        return not getattr(self.scene(), "node_items", None)

    def _on_scene_changed(self, _regions: object) -> None:
        empty = self.is_empty()
        if empty != self._was_empty:
            self._was_empty = empty
            self.viewport().update()

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
