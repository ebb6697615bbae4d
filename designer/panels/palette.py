"""The step palette: the file's steps, searchable, dragged onto the canvas to make nodes.

Clicking or double-clicking a step opens its editor in the Inspector; its context menu edits,
adds a node of it, or deletes it.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
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
    # Open this step's editor (click, double-click, Enter, or "Edit Step" in the context menu)
    step_edit_requested = Signal(str)
    # The user asked for a node of this step ("Add Node to Pipeline"), placed by the editor
    node_requested = Signal(str)
    # "Delete Step…" in the context menu (the window asks before it deletes)
    step_delete_requested = Signal(str)
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
        self.new_step.setProperty("icon_name", "step-new")  # re-tinted when the palette changes
        self.new_step.setToolTip("New step…")
        self.new_step.setAutoRaise(True)
        self.new_step.clicked.connect(self.new_step_requested)
        self.list = _StepList(self)
        for signal in (self.list.itemClicked, self.list.itemDoubleClicked, self.list.itemActivated):
            signal.connect(lambda it: self.step_edit_requested.emit(str(it.data(STEP_ROLE))))
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.search)
        top.addWidget(self.new_step)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.list)

    def context_menu(self, step: str) -> QMenu:
        """The menu of ``step``: Edit Step, Add Node to Pipeline, Delete Step…."""
        menu = QMenu(self)
        menu.addAction("&Edit Step", lambda: self.step_edit_requested.emit(step))
        menu.addAction("&Add Node to Pipeline", lambda: self.node_requested.emit(step))
        menu.addSeparator()
        menu.addAction("&Delete Step…", lambda: self.step_delete_requested.emit(step))
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is not None:
            self.list.setCurrentItem(item)
            self.context_menu(str(item.data(STEP_ROLE))).exec(self.list.viewport().mapToGlobal(pos))

    def set_steps(self, steps: list[tuple[str, str | None]]) -> None:
        """``steps``: (name, image) pairs in file order."""
        self.list.clear()
        for name, image in steps:
            item = QListWidgetItem(icon("step"), name)
            item.setData(STEP_ROLE, name)
            item.setToolTip(
                f"{name}\nimage: {image or '—'}\nClick to edit it; drag onto the canvas to add a node."
            )
            self.list.addItem(item)
        self._filter(self.search.text())

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setHidden(bool(needle) and needle not in item.text().lower())
