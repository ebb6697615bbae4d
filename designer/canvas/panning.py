"""Panning the view with the middle button, or with the left button while Space is held."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QGraphicsView


class Panning:
    """Fed by the view's event handlers; returns True when it consumed the event."""

    def __init__(self, view: QGraphicsView) -> None:
        self.view = view
        self.space_held = False
        self._last: QPoint | None = None

    @property
    def active(self) -> bool:
        return self._last is not None

    def key_press(self, event: QKeyEvent) -> bool:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.space_held = True
            self.view.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return True
        return event.key() == Qt.Key.Key_Space

    def key_release(self, event: QKeyEvent) -> bool:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.space_held = False
            if self._last is None:
                self.view.viewport().unsetCursor()
            return True
        return False

    def press(self, event: QMouseEvent) -> bool:
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self.space_held):
            self._last = event.position().toPoint()
            self.view.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return True
        return False

    def move(self, event: QMouseEvent) -> bool:
        if self._last is None:
            return False
        pos = event.position().toPoint()
        delta = pos - self._last
        self._last = pos
        h, v = self.view.horizontalScrollBar(), self.view.verticalScrollBar()
        h.setValue(h.value() - delta.x())
        v.setValue(v.value() - delta.y())
        return True

    def release(self, event: QMouseEvent) -> bool:
        if self._last is None:
            return False
        self._last = None
        if self.space_held:
            self.view.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.view.viewport().unsetCursor()
        return True
