"""A terminal emulator widget: a ``pyte`` VT100/xterm screen painted with QPainter.

Bytes from the process go to ``feed``; what the user types leaves as ``typed(bytes)`` (Ctrl+C is
``\\x03``, cursor keys their escape sequences); a new size leaves as ``resized(rows, cols)``.
Copy with Ctrl+Shift+C (or the selection), paste with Ctrl+Shift+V / Shift+Insert; the wheel
scrolls back through the history. Painting is coalesced: a burst of output is one repaint.
"""

from __future__ import annotations

import pyte
from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QGuiApplication,
    QInputMethodEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from designer.terminal.keys import key_bytes
from designer.terminal.palette import BACKGROUND, FOREGROUND, color_of

HISTORY = 5000  # lines kept above the screen
# Private (DEC) modes as pyte keeps them: shifted left by 5 bits.
_APP_CURSOR_KEYS = 1 << 5  # DECCKM: cursor keys send ESC O A (vim, less)
_BRACKETED_PASTE = 2004 << 5


class _Screen(pyte.HistoryScreen):
    """Answers the process's terminal queries (cursor position, device attributes) through ``reply``."""

    reply = None  # set by the widget: callable(str)

    def write_process_input(self, data: str) -> None:
        if self.reply is not None:
            self.reply(data)


class TerminalWidget(QWidget):
    # The user typed or pasted: bytes for the process's terminal
    typed = Signal(bytes)
    # The visible size changed: (rows, columns)
    resized = Signal(int, int)

    def __init__(self, parent: QWidget | None = None, rows: int = 24, cols: int = 80) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.TypeWriter)
        self.setFont(font)
        self.screen = _Screen(cols, rows, history=HISTORY, ratio=0.5)
        self.screen.reply = lambda text: self.typed.emit(text.encode())
        self._stream = pyte.ByteStream(self.screen)
        self._selection: tuple[QPoint, QPoint] | None = None
        self._repaint = QTimer(self, singleShot=True, interval=15)
        self._repaint.timeout.connect(self.update)
        self.setMinimumSize(200, 80)

    # --- the process side -----------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """Output of the process (any chunking: a split escape sequence is kept for the next)."""
        for _ in range(HISTORY):  # scrolled back: new output brings the view back to the bottom
            if not self.screen.history.bottom:
                break
            self.screen.next_page()
        self._stream.feed(data)
        if not self._repaint.isActive():
            self._repaint.start()

    def text(self) -> str:
        """The visible screen as text, one line a row, trailing blanks removed (tests read it)."""
        return "\n".join(line.rstrip() for line in self.screen.display).rstrip("\n")

    # --- geometry -----------------------------------------------------------------------------------
    def _cell(self) -> tuple[int, int]:
        metrics = QFontMetrics(self.font())
        return max(metrics.horizontalAdvance("M"), 1), max(metrics.height(), 1)

    def size_for(self, rows: int, cols: int) -> tuple[int, int]:
        width, height = self._cell()
        return cols * width + 4, rows * height + 4

    def resizeEvent(self, event: QResizeEvent) -> None:
        width, height = self._cell()
        cols = max((event.size().width() - 4) // width, 2)
        rows = max((event.size().height() - 4) // height, 1)
        if (rows, cols) != (self.screen.lines, self.screen.columns):
            self.screen.resize(rows, cols)
            self.resized.emit(rows, cols)
        super().resizeEvent(event)

    # --- painting -----------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        width, height = self._cell()
        ascent = QFontMetrics(self.font()).ascent()
        base, bold = QFont(self.font()), QFont(self.font())
        bold.setBold(True)
        selected = self._selected_cells()
        for y in range(self.screen.lines):
            row = self.screen.buffer[y]
            x = 0
            while x < self.screen.columns:
                char = row[x]
                run_start, key = x, self._style(char, (y, x) in selected)
                text = []
                while x < self.screen.columns and self._style(row[x], (y, x) in selected) == key:
                    text.append(row[x].data or " ")
                    x += 1
                fg, bg, is_bold, underline = key
                rect = QRect(2 + run_start * width, 2 + y * height, (x - run_start) * width, height)
                if bg != BACKGROUND.name():
                    painter.fillRect(rect, QColor(bg))
                font = bold if is_bold else base
                font.setUnderline(underline)
                painter.setFont(font)
                painter.setPen(QColor(fg))
                painter.drawText(rect.x(), rect.y() + ascent, "".join(text))
        self._paint_cursor(painter, width, height)

    def _style(self, char: pyte.screens.Char, selected: bool) -> tuple[str, str, bool, bool]:
        fg = color_of(char.fg, FOREGROUND, bright=char.bold).name()
        bg = color_of(char.bg, BACKGROUND).name()
        if char.reverse != selected:
            fg, bg = bg, fg
        return fg, bg, bool(char.bold), bool(char.underscore)

    def _paint_cursor(self, painter: QPainter, width: int, height: int) -> None:
        cursor = self.screen.cursor
        if cursor.hidden or self.screen.history.bottom:  # hidden, or the view is scrolled back
            return
        rect = QRect(2 + cursor.x * width, 2 + cursor.y * height, width, height)
        if self.hasFocus():
            painter.fillRect(rect, FOREGROUND)
            char = self.screen.buffer[cursor.y][cursor.x].data if cursor.x < self.screen.columns else " "
            painter.setPen(BACKGROUND)
            painter.drawText(rect.x(), rect.y() + QFontMetrics(self.font()).ascent(), char or " ")
        else:
            painter.setPen(FOREGROUND)
            painter.drawRect(rect.adjusted(0, 0, -1, -1))

    # --- keys, clipboard, selection, scrolling ---------------------------------------------------------
    def focusNextPrevChild(self, next: bool) -> bool:
        return False  # Tab and Backtab belong to the shell (completion), not to focus navigation

    def keyPressEvent(self, event: QKeyEvent) -> None:
        mods = event.modifiers()
        ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        if mods & ctrl_shift == ctrl_shift and event.key() == Qt.Key.Key_C:
            self.copy()
            return
        if (mods & ctrl_shift == ctrl_shift and event.key() == Qt.Key.Key_V) or (
            mods & Qt.KeyboardModifier.ShiftModifier and event.key() == Qt.Key.Key_Insert
        ):
            self.paste()
            return
        data = key_bytes(event.key(), mods, event.text(), app_cursor=_APP_CURSOR_KEYS in self.screen.mode)
        if data:
            self._selection = None
            self.typed.emit(data)
            return
        super().keyPressEvent(event)

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:
        """Text composed by an input method (accents, CJK) goes to the process when committed."""
        if event.commitString():
            self.typed.emit(event.commitString().encode())
        event.accept()

    def copy(self) -> None:
        text = self.selected_text()
        if text:
            QGuiApplication.clipboard().setText(text)

    def paste(self) -> None:
        text = QGuiApplication.clipboard().text()
        if not text:
            return
        data = text.replace("\r\n", "\r").replace("\n", "\r").encode()
        if _BRACKETED_PASTE in self.screen.mode:
            data = b"\x1b[200~" + data + b"\x1b[201~"
        self.typed.emit(data)

    def _cell_at(self, pos: QPoint) -> QPoint:
        width, height = self._cell()
        x = min(max((pos.x() - 2) // width, 0), self.screen.columns - 1)
        y = min(max((pos.y() - 2) // height, 0), self.screen.lines - 1)
        return QPoint(x, y)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus()
        if event.button() == Qt.MouseButton.LeftButton:
            cell = self._cell_at(event.position().toPoint())
            self._selection = (cell, cell)
            self.update()
        elif event.button() == Qt.MouseButton.MiddleButton:
            self.paste()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._selection is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self._selection = (self._selection[0], self._cell_at(event.position().toPoint()))
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._selection is not None and self._selection[0] == self._selection[1]:
            self._selection = None
            self.update()
        elif self._selection is not None:
            text = self.selected_text()
            clipboard = QGuiApplication.clipboard()
            if clipboard.supportsSelection():
                clipboard.setText(text, clipboard.Mode.Selection)

    def _ordered(self) -> tuple[tuple[int, int], tuple[int, int]] | None:
        if self._selection is None:
            return None
        a, b = self._selection
        start, end = sorted(((a.y(), a.x()), (b.y(), b.x())))
        return start, end

    def _selected_cells(self) -> set[tuple[int, int]]:
        ordered = self._ordered()
        if ordered is None or ordered[0] == ordered[1]:
            return set()
        (y0, x0), (y1, x1) = ordered
        cols = self.screen.columns
        return {
            (y, x)
            for y in range(y0, y1 + 1)
            for x in range(x0 if y == y0 else 0, (x1 + 1) if y == y1 else cols)
        }

    def selected_text(self) -> str:
        ordered = self._ordered()
        if ordered is None:
            return ""
        (y0, x0), (y1, x1) = ordered
        lines = []
        for y in range(y0, y1 + 1):
            row = self.screen.display[y]
            lines.append(row[x0 if y == y0 else 0 : (x1 + 1) if y == y1 else None].rstrip())
        return "\n".join(lines)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.angleDelta().y() > 0:
            self.screen.prev_page()
        else:
            self.screen.next_page()
        self.update()
