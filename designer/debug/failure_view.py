"""The failure view: a failed node's Python traceback as a post-mortem.

The exception type and its message in full (wrapped, selectable, never cut), the frames as a list
(the user's own code in bold, the library frames dimmed), the failing frame's source inline with
its line marked, and its locals when they were captured. Activating a frame asks to open its file
at the line (``open_requested``). Everything shown came from the node's log: plain text only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from runner.api import debug

_FRAME_ROLE = Qt.ItemDataRole.UserRole + 1
MAX_VALUE = 2000  # characters of one local's repr shown (the record is capped too)


class FailureView(QWidget):
    # Open a file at a line: (local path, line)
    open_requested = Signal(str, int)
    # Open a shell in the failed node's world
    shell_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.failure: Any = None
        self.title = QLabel(self)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        self.title.setStyleSheet("color: #c0392b;")
        self.message = QLabel(self)
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # untrusted text: never rich text
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.frames = QTreeWidget(self)
        self.frames.setHeaderLabels(["Where", "Function", "Line of code"])
        self.frames.setRootIsDecorated(False)
        self.frames.setAlternatingRowColors(True)
        self.frames.currentItemChanged.connect(lambda item, _prev: self._show_frame(item))
        self.frames.itemActivated.connect(lambda item, _col: self._open(item))
        self.source = QPlainTextEdit(self)
        self.source.setReadOnly(True)
        self.source.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.TypeWriter)
        self.source.setFont(mono)
        self.locals = QTreeWidget(self)
        self.locals.setHeaderLabels(["Local", "Value (repr)"])
        self.locals.setRootIsDecorated(False)
        self.open_button = QPushButton("Open in Editor", self)
        self.open_button.clicked.connect(lambda: self._open(self.frames.currentItem()))
        self.shell_button = QPushButton("Open Shell in Its World", self)
        self.shell_button.setToolTip(
            "A shell in a container rebuilt with this execution's inputs and parameters"
        )
        self.shell_button.clicked.connect(self.shell_requested.emit)
        self._build()
        self.show_failure(None)

    def _build(self) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.shell_button)
        buttons.addStretch(1)
        # Frames above, the failing source and its locals below: readable in a half-width dock.
        below = QSplitter(Qt.Orientation.Horizontal, self)
        below.addWidget(self.source)
        below.addWidget(self.locals)
        below.setSizes([560, 240])
        body = QSplitter(Qt.Orientation.Vertical, self)
        body.addWidget(self.frames)
        body.addWidget(below)
        body.setSizes([110, 200])
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.message)
        layout.addWidget(body, 1)
        layout.addLayout(buttons)

    def show_failure(self, failure: Any, note: str = "", root: Path | None = None) -> None:
        """A ``runner.api.debug.Failure`` (or None: ``note`` says why there is none); frames in
        ``root`` (the project folder) are shown relative to it."""
        self.failure = failure
        self.frames.clear()
        self.locals.clear()
        self.source.clear()
        has = failure is not None
        for w in (self.frames, self.source, self.locals, self.open_button):
            w.setVisible(has)
        self.shell_button.setVisible(bool(note) or has)
        if not has:
            self.title.setText("")
            self.message.setText(note or "Select a failed node to see why it failed.")
            return
        self.title.setText(failure.exception)
        self.message.setText(failure.message or "(no message)")
        current = None
        for index, frame in enumerate(failure.frames):
            where = _relative(frame.local_path, root) if frame.local_path else frame.file
            item = QTreeWidgetItem([f"{where}:{frame.line}", frame.function, frame.source])
            item.setData(0, _FRAME_ROLE, index)
            item.setToolTip(0, f"{frame.local_path or frame.file}, line {frame.line}")
            if frame.local_path is None:
                for col in range(3):
                    item.setForeground(col, QColor("#8a8a8a"))
            else:
                bold = item.font(0)
                bold.setBold(True)
                for col in range(3):
                    item.setFont(col, bold)
            self.frames.addTopLevelItem(item)
            if frame is failure.failing_frame:
                current = item
        for col in range(2):
            self.frames.resizeColumnToContents(col)
        if current is not None:
            self.frames.setCurrentItem(current)

    def _frame(self, item: QTreeWidgetItem | None) -> tuple[int, Any] | None:
        if item is None or self.failure is None:
            return None
        index = int(item.data(0, _FRAME_ROLE))
        return index, self.failure.frames[index]

    def _show_frame(self, item: QTreeWidgetItem | None) -> None:
        found = self._frame(item)
        self.locals.clear()
        if found is None:
            return
        index, frame = found
        context = debug.source_context(frame.local_path, frame.line) if frame.local_path else []
        if not context:  # a library frame: the line as the traceback printed it
            context = [(frame.line, frame.source or "(source not available here)")]
        width = len(str(context[-1][0]))
        self.source.setPlainText("\n".join(f"{n:>{width}}  {text}" for n, text in context))
        self._mark([n for n, _ in context].index(frame.line) if frame.line in [n for n, _ in context] else -1)
        self.open_button.setEnabled(frame.local_path is not None)
        for name, value in sorted(self.failure.locals.get(index, {}).items()):
            shown = value if len(value) <= MAX_VALUE else value[:MAX_VALUE] + " …"
            row = QTreeWidgetItem([name, shown])
            row.setToolTip(1, shown)
            self.locals.addTopLevelItem(row)
        self.locals.setVisible(bool(self.failure.locals))

    def _mark(self, block: int) -> None:
        if block < 0:
            self.source.setExtraSelections([])
            return
        selection = QTextEdit.ExtraSelection()
        selection.format.setBackground(QColor(231, 76, 60, 60))
        selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        cursor = QTextCursor(self.source.document().findBlockByNumber(block))
        selection.cursor = cursor
        self.source.setExtraSelections([selection])
        self.source.setTextCursor(cursor)
        self.source.centerCursor()

    def _open(self, item: QTreeWidgetItem | None) -> None:
        found = self._frame(item)
        if found is None or found[1].local_path is None:
            return
        self.open_requested.emit(str(Path(found[1].local_path)), int(found[1].line))


def _relative(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return Path(path).relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            pass
    return str(path)
