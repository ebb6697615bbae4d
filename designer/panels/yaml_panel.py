"""The YAML dock: the live text of the file, editable; edits reach the document after a pause."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from designer.canvas.style import is_dark
from designer.icons import icon
from designer.panels.code_editor import CodeEditor
from designer.panels.yaml_highlighter import YamlHighlighter

RESYNC_PAUSE_MS = 700


class YamlPanel(QWidget):
    # The user paused after typing; the editor should try to apply this text
    text_edited = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = CodeEditor(self)
        self.highlighter = YamlHighlighter(self.editor.document(), dark=is_dark())
        self._status_icon = QLabel(self)
        self.status = QLabel(self)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setWordWrap(True)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RESYNC_PAUSE_MS)
        self._timer.timeout.connect(lambda: self.text_edited.emit(self.editor.toPlainText()))
        self.editor.textChanged.connect(self._timer.start)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 2)
        bar.addWidget(self._status_icon)
        bar.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.editor, 1)
        layout.addLayout(bar)
        self.show_ok()

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    def set_text(self, text: str) -> None:
        """Show the document's text without treating it as a user edit; keeps the scroll position."""
        if text == self.editor.toPlainText():
            return
        self._timer.stop()
        vbar = self.editor.verticalScrollBar().value()
        cursor_pos = self.editor.textCursor().position()
        with QSignalBlocker(self.editor):
            self.editor.setPlainText(text)
        cursor = self.editor.textCursor()
        cursor.setPosition(min(cursor_pos, len(text)))
        self.editor.setTextCursor(cursor)
        self.editor.verticalScrollBar().setValue(vbar)
        self.editor.mark_lines({})
        self.show_ok()

    def flush(self) -> None:
        """Apply a pending edit now (before saving, for example)."""
        if self._timer.isActive():
            self._timer.stop()
            self.text_edited.emit(self.editor.toPlainText())

    def show_ok(self) -> None:
        self._status_icon.setPixmap(icon("severity-ok").pixmap(14, 14))
        self.status.setText("In sync with the canvas")

    def show_problem(self, message: str, line: int, column: int, canvas_behind: bool = True) -> None:
        """The text does not parse: it stays as typed (and is what Save writes)."""
        self._status_icon.setPixmap(icon("severity-error").pixmap(14, 14))
        canvas = (
            "The canvas shows the last version that parsed"
            if canvas_behind
            else "The canvas shows the pipeline once the text parses"
        )
        where = f"line {line}, column {column}"
        self.status.setText(f"Does not parse — {where}: {message}. {canvas}; Save writes this text as it is.")
        self.editor.mark_lines({line: QColor("#cf222e")})

    def show_error(self, message: str, line: int | None = None) -> None:
        self._status_icon.setPixmap(icon("severity-error").pixmap(14, 14))
        where = f"line {line}: " if line else ""
        self.status.setText(f"Not applied — {where}{message}")
        self.editor.mark_lines({line: QColor("#cf222e")} if line else {})

    def go_to_line(self, line: int, column: int = 1) -> None:
        self.editor.go_to_line(line, column)
