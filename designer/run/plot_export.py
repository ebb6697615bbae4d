"""Export a plot as a PNG of a chosen size: the size dialog, and rendering a fresh copy of the
plot laid out at that size (text stays its size; the curves get the new width's detail)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QSpinBox,
    QWidget,
)

MAX_SIDE = 8000


class ExportSizeDialog(QDialog):
    """Width and height in pixels (the plot's size on screen to start with)."""

    def __init__(self, width: int, height: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export plot as PNG")
        form = QFormLayout(self)
        self.width_box, self.height_box = QSpinBox(self), QSpinBox(self)
        for box, value in ((self.width_box, width), (self.height_box, height)):
            box.setRange(100, MAX_SIDE)
            box.setSuffix(" px")
            box.setValue(value)
        form.addRow("Width:", self.width_box)
        form.addRow("Height:", self.height_box)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def size_chosen(self) -> tuple[int, int]:
        return self.width_box.value(), self.height_box.value()


@dataclass
class PlotCopy:
    """A plot built again to be rendered: its widget, how to draw its curves now, how to stop it."""

    widget: QWidget
    refresh: Callable[[], None]
    stop: Callable[[], None]


def render_png(make: Callable[[], PlotCopy], path: Path, width: int, height: int) -> None:
    """Lay ``make()``'s copy out at ``width`` x ``height`` off screen, draw it, save it to ``path``
    and throw it away."""
    copy = make()
    widget = copy.widget
    widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    widget.resize(width, height)
    widget.show()
    try:
        for _ in range(2):  # the layout first, then the curves' envelopes at their final width
            QApplication.processEvents()
            copy.refresh()
        image = QImage(width, height, QImage.Format.Format_ARGB32)
        image.fill(widget.palette().base().color())
        QWidget.render(widget, image)  # the widget's own, not QGraphicsView's scene render
        if not image.save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
    finally:
        copy.stop()
        widget.close()
        widget.deleteLater()
