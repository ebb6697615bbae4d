"""The undo history dock: Qt's QUndoView on the document's stack."""

from __future__ import annotations

from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QUndoView, QWidget

from designer.icons import icon


class HistoryPanel(QUndoView):
    def __init__(self, stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(stack, parent)
        self.setEmptyLabel("<opened file>")
        self.setCleanIcon(icon("document-save"))
