"""Logs dock: the selected node's log, live; stdout/stderr/runner lines styled, metadata highlighted.

Lines are kept per (run, node) in plain lists; the view shows one of them and appends batches
with one cursor edit each, so a chatty step costs a few edits a second, not one per line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QTextCharFormat,
    QTextCursor,
    QTextOption,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from runner.api import parse_metadata_line, split_unit, unit_name

MAX_LINES = 200_000  # per shown log; older lines scroll away (the full log stays on disk)
LINES_PER_TICK = 1500  # lines added to the view per 50 ms tick at most (~30,000 lines/s)
STREAM_PREFIX = {"stdout": "", "stderr": "", "runner": "▸ "}


@dataclass(frozen=True)
class Line:
    stream: str  # stdout, stderr, runner
    text: str
    child: int | None = None  # a task's execution, shown as "#3 " in the task's "all" view

    @property
    def is_metadata(self) -> bool:
        return self.stream == "stdout" and parse_metadata_line(self.text) is not None


def find_matches(lines: list[Line], query: str, case_sensitive: bool = False) -> list[int]:
    """Indexes of the lines containing ``query``."""
    if not query:
        return []
    if case_sensitive:
        return [i for i, line in enumerate(lines) if query in line.text]
    q = query.casefold()
    return [i for i, line in enumerate(lines) if q in line.text.casefold()]


def parse_log_text(text: str) -> list[Line]:
    """A node's stored log file: one ``<ISO time> <stream> <text>`` line per log line."""
    out = []
    for raw in text.splitlines():
        _time, _sp, rest = raw.partition(" ")
        stream, _sp, body = rest.partition(" ")
        if stream in ("stdout", "stderr", "runner"):
            out.append(Line(stream, body))
        else:  # not our format: keep the line as it is
            out.append(Line("stdout", raw))
    return out


class LogsPanel(QWidget):
    # The user picked one execution of a task node, or "all" (run id, "node" or "node#k")
    execution_picked = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.logs: dict[tuple[str, str], list[Line]] = {}
        self.shown: tuple[str, str] | None = None
        self._matches: list[int] = []
        self._match_at = -1
        self._pending: list[Line] = []
        self._all_view = True  # a task node's own view shows every execution's lines, marked "#k"
        self._task: tuple[str, str] | None = None  # (run, task node) the execution picker is for
        self._drain = QTimer(self, interval=50)
        self._drain.timeout.connect(self._drain_pending)
        self._build()
        self._formats = self._make_formats()

    def _build(self) -> None:
        self.title = QLabel("No node selected", self)
        self.title.setObjectName("logs-title")
        # A long run id gives way to the search field: cut at the right, whole in the tooltip.
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.title.setMinimumWidth(60)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search log…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(120)  # a search term stays readable in a narrow dock
        self.search.setMaximumWidth(260)
        self.search.textChanged.connect(self._on_search)
        self.search.returnPressed.connect(self.find_next)
        self.match_label = QLabel("", self)
        self.match_label.setMinimumWidth(80)
        self.match_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        prev_b = _tool("▲", "Previous match", self.find_previous)
        next_b = _tool("▼", "Next match", self.find_next)
        self.follow = QCheckBox("Follow", self)
        self.follow.setToolTip("Keep the newest line in view")
        self.follow.setChecked(True)
        self.follow.toggled.connect(lambda on: on and self._scroll_to_end())
        self.wrap = QCheckBox("Wrap", self)
        self.wrap.setToolTip("Wrap long lines to the width of the view (off: scroll sideways)")
        self.wrap.setChecked(True)
        self.wrap.toggled.connect(self.set_wrap)
        copy_b = _tool("Copy", "Copy the selection, or the whole log", self.copy)
        self.child_combo = QComboBox(self)
        self.child_combo.setToolTip("A task node's executions: all of them, or one")
        self.child_combo.setMinimumContentsLength(14)
        self.child_combo.activated.connect(self._on_child_picked)
        self.child_combo.hide()
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 2)
        bar.setSpacing(6)
        bar.addWidget(self.title, 1)
        for w in (
            self.child_combo,
            self.search,
            prev_b,
            next_b,
            self.match_label,
            self.follow,
            self.wrap,
            copy_b,
        ):
            bar.addWidget(w)
        self.view = QPlainTextEdit(self)
        self.view.setReadOnly(True)
        self.set_wrap(True)
        self.view.setMaximumBlockCount(MAX_LINES)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(8.5, font.pointSizeF() - 0.5))
        self.view.setFont(font)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)

    def set_wrap(self, on: bool) -> None:
        """Wrap long lines (an exception message is read whole) or keep one line per row."""
        mode = QPlainTextEdit.LineWrapMode.WidgetWidth if on else QPlainTextEdit.LineWrapMode.NoWrap
        self.view.setLineWrapMode(mode)
        self.view.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        if self.wrap.isChecked() != on:
            self.wrap.setChecked(on)

    def _make_formats(self) -> dict[str, QTextCharFormat]:
        dark = self.palette().base().color().lightness() < 128
        text = self.palette().text().color()
        fmt = {}
        fmt["stdout"] = QTextCharFormat()
        fmt["stdout"].setForeground(text)
        fmt["stderr"] = QTextCharFormat()
        fmt["stderr"].setForeground(QColor("#ff7b72" if dark else "#c62828"))
        fmt["runner"] = QTextCharFormat()
        fmt["runner"].setForeground(QColor("#8b949e" if dark else "#6e7781"))
        fmt["runner"].setFontItalic(True)
        fmt["metadata"] = QTextCharFormat()
        fmt["metadata"].setForeground(QColor("#79c0ff" if dark else "#0a4f9e"))
        fmt["metadata"].setBackground(QColor("#1c2b3a" if dark else "#e8f1fc"))
        fmt["metadata"].setFontWeight(QFont.Weight.DemiBold)
        return fmt

    # --- data in ---------------------------------------------------------------------------------
    def add_lines(self, events: list[Any]) -> None:
        """A batch of LogLine events; only the shown node's lines touch the view.

        Every line is kept; the view takes at most LINES_PER_TICK a tick, so a step printing
        tens of thousands of lines a second never freezes the window (throttle drawing, not data).
        """
        shown: list[Line] = []
        for e in events:
            child = getattr(e, "child", None)
            line = Line(e.stream, e.text, child)
            # A task execution's line goes to its own log and to the task's "all" log.
            keys = [(e.run_id, e.node)] + ([(e.run_id, unit_name(e.node, child))] if child else [])
            for key in keys:
                self.logs.setdefault(key, []).append(line)
                if key == self.shown:
                    shown.append(line)
        if not shown:
            return
        if not self._pending and len(shown) <= LINES_PER_TICK:
            self._append(shown)
        else:
            self._pending.extend(shown)
            if not self._drain.isActive():
                self._drain.start()
        query = self.search.text()
        if query:  # matches among the new lines only; the user's place in the results stays
            base = len(self.lines()) - len(shown)
            found = [base + i for i in find_matches(shown, query)]
            if found:
                self._matches.extend(found)
                self._show_match_count()
                self._highlight()

    def _drain_pending(self) -> None:
        if len(self._pending) > MAX_LINES:  # older lines would scroll out of the view anyway
            del self._pending[: len(self._pending) - MAX_LINES]
        chunk, self._pending = self._pending[:LINES_PER_TICK], self._pending[LINES_PER_TICK:]
        self._append(chunk)
        if not self._pending:
            self._drain.stop()

    def flush(self) -> None:
        """Show every pending line now (tests, copy)."""
        while self._pending:
            self._drain_pending()

    def set_log(self, run_id: str, node: str, lines: list[Line]) -> None:
        self.logs[(run_id, node)] = list(lines)
        if self.shown == (run_id, node):
            self.show_log(run_id, node)

    def show_log(self, run_id: str | None, node: str | None) -> None:
        self._pending.clear()
        self._drain.stop()
        self.view.clear()
        if run_id is None or node is None:
            self.shown = None
            self.title.setText("No node selected")
            return
        self.shown = (run_id, node)
        self._all_view = split_unit(node)[1] is None
        self.title.setText(f"<b>{node}</b> <span style='color:gray'>· run {run_id}</span>")
        self.title.setToolTip(f"{node} · run {run_id}")
        self._append(self.logs.get(self.shown, [])[-MAX_LINES:])
        self._on_search(self.search.text())

    # --- a task node's executions ------------------------------------------------------------------
    def set_executions(self, run_id: str, node: str, labels: list[str]) -> None:
        """Offer "all" and each execution (``labels[k-1]``, e.g. "#3 lr=0.1"); none hides the picker."""
        self._task = (run_id, node) if labels else None
        self.child_combo.clear()
        if labels:
            self.child_combo.addItem("all", node)
            for k, label in enumerate(labels, 1):
                self.child_combo.addItem(label, unit_name(node, k))
            shown = self.shown[1] if self.shown and self.shown[0] == run_id else node
            index = self.child_combo.findData(shown)
            self.child_combo.setCurrentIndex(max(0, index))
        self.child_combo.setVisible(bool(labels))

    def pick_execution(self, child: int | None) -> None:
        """Show one execution of the task (``None``: all of them), as if picked in the combo."""
        index = 0 if child is None else child
        self.child_combo.setCurrentIndex(index)
        self._on_child_picked(index)

    def _on_child_picked(self, index: int) -> None:
        if self._task is None or index < 0:
            return
        run_id, name = self._task[0], str(self.child_combo.itemData(index))
        self.execution_picked.emit(run_id, name)  # the run UI loads a past execution's log first
        self.show_log(run_id, name)

    def lines(self) -> list[Line]:
        return self.logs.get(self.shown, []) if self.shown else []

    def _append(self, lines: list[Line]) -> None:
        bar = self.view.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        cursor = QTextCursor(self.view.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.beginEditBlock()
        first = self.view.document().isEmpty()
        for line in lines:
            if not first:
                cursor.insertBlock()
            first = False
            kind = "metadata" if line.is_metadata else line.stream
            text = STREAM_PREFIX.get(line.stream, "") + line.text
            if line.child is not None and self._all_view:
                text = f"#{line.child} {text}"
            cursor.insertText(text, self._formats.get(kind))
        cursor.endEditBlock()
        if self.follow.isChecked() or at_end:
            self._scroll_to_end()

    def _scroll_to_end(self) -> None:
        bar = self.view.verticalScrollBar()
        bar.setValue(bar.maximum())

    # --- search and copy -------------------------------------------------------------------------
    def _on_search(self, query: str) -> None:
        self._matches = find_matches(self.lines(), query)
        self._match_at = -1
        self._highlight()
        self._show_match_count()

    def _show_match_count(self) -> None:
        n = len(self._matches)
        if not self.search.text():
            self.match_label.setText("")
        elif 0 <= self._match_at < n:
            self.match_label.setText(f"{self._match_at + 1} of {n}")
        else:
            self.match_label.setText(f"{n} match{'es' if n != 1 else ''}")

    def _highlight(self) -> None:
        doc = self.view.document()
        offset = max(0, len(self.lines()) - doc.blockCount())  # lines dropped by MAX_LINES
        sels = []
        color = QColor("#ffd54f")
        for n, i in enumerate(self._matches[:2000]):
            block = doc.findBlockByNumber(i - offset)
            if not block.isValid():
                continue
            sel = QTextEdit.ExtraSelection()
            sel.cursor = QTextCursor(block)  # the whole log line, wrapped or not
            sel.cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
            c = QColor(color)
            c.setAlpha(230 if n == self._match_at else 110)
            sel.format.setBackground(c)
            sels.append(sel)
        self.view.setExtraSelections(sels)

    def _go(self, step: int) -> None:
        if not self._matches:
            return
        self._match_at = (self._match_at + step) % len(self._matches)
        self.follow.setChecked(False)
        offset = max(0, len(self.lines()) - self.view.document().blockCount())
        block = self.view.document().findBlockByNumber(self._matches[self._match_at] - offset)
        self.view.setTextCursor(QTextCursor(block))
        self.view.centerCursor()
        self._show_match_count()
        self._highlight()

    def find_next(self) -> None:
        self._go(1)

    def find_previous(self) -> None:
        self._go(-1)

    def current_match(self) -> int | None:
        return self._matches[self._match_at] if 0 <= self._match_at < len(self._matches) else None

    def copy(self) -> None:
        self.flush()
        text = self.view.textCursor().selectedText().replace("\u2029", "\n")
        if not text:
            text = "\n".join(line.text for line in self.lines())
        QGuiApplication.clipboard().setText(text)


def _tool(text: str, tip: str, slot: Any) -> QToolButton:
    b = QToolButton()
    b.setText(text)
    b.setToolTip(tip)
    b.setAutoRaise(True)
    b.clicked.connect(slot)
    return b
