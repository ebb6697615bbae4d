"""The step palette: the file's steps, searchable, dragged onto the canvas to make nodes."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from designer.canvas.scene import STEP_MIME
from designer.icons import icon

STEP_ROLE = Qt.ItemDataRole.UserRole


class _StepList(QListWidget):
    """A list whose drags carry the step name in ``STEP_MIME``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setIconSize(QSize(20, 20))
        self.setUniformItemSizes(True)
        self.setAlternatingRowColors(False)

    def mimeData(self, items: list[QListWidgetItem]) -> QMimeData:
        data = QMimeData()
        if items:
            data.setData(STEP_MIME, str(items[0].data(STEP_ROLE)).encode("utf-8"))
            data.setText(str(items[0].data(STEP_ROLE)))
        return data

    def startDrag(self, actions: Qt.DropAction) -> None:
        item = self.currentItem()
        if item is None:
            return
        drag = QDrag(self)
        drag.setMimeData(self.mimeData([item]))
        drag.setPixmap(item.icon().pixmap(24, 24))
        drag.exec(Qt.DropAction.CopyAction)


class PalettePanel(QWidget):
    # The user asked for a node of this step (double click / Enter), placed by the editor
    step_activated = Signal(str)
    # The "New step…" button was pressed
    new_step_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search steps…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.new_step = QToolButton(self)
        self.new_step.setIcon(icon("step-new"))
        self.new_step.setToolTip("New step…")
        self.new_step.setAutoRaise(True)
        self.new_step.clicked.connect(self.new_step_requested)
        self.list = _StepList(self)
        self.list.itemActivated.connect(lambda it: self.step_activated.emit(str(it.data(STEP_ROLE))))
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.search)
        top.addWidget(self.new_step)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.list)

    def set_steps(self, steps: list[tuple[str, str | None]]) -> None:
        """``steps``: (name, image) pairs in file order."""
        self.list.clear()
        for name, image in steps:
            item = QListWidgetItem(icon("step"), name)
            item.setData(STEP_ROLE, name)
            item.setToolTip(f"{name}\nimage: {image or '—'}\nDrag onto the canvas to add a node.")
            self.list.addItem(item)
        self._filter(self.search.text())

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setHidden(bool(needle) and needle not in item.text().lower())
