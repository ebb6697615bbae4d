"""Two runs side by side: the parameters that differ, the code (each changed file's diff) and
what else differs per node (image, inputs, environment, final metrics, outputs). The metric
curves go to the metrics dock."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

SECTIONS = (("parameters", "parameter"), ("image", "image"), ("inputs", "input"), ("env", "environment"),
            ("metrics", "metric"), ("outputs", "output"))  # fmt: skip
_CHANGE_MARK = {"added": "+", "removed": "−", "changed": "~"}


def _show(value: Any) -> str:
    return "—" if value is None else json.dumps(value) if not isinstance(value, str) else value


def _table(rows: list[tuple[str, ...]], headers: list[str], parent: QWidget) -> QTableWidget:
    table = QTableWidget(len(rows), len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.setAlternatingRowColors(True)
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            table.setItem(i, j, QTableWidgetItem(text))
    table.resizeColumnsToContents()
    return table


class DiffHighlighter(QSyntaxHighlighter):
    """Added lines green, removed red, hunk headers blue: a unified diff as users read them."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.formats: dict[str, QTextCharFormat] = {}
        for prefix, color in (("+", "#1a7f37"), ("-", "#cf222e"), ("@", "#0969da")):
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(color))
            self.formats[prefix] = fmt

    def highlightBlock(self, text: str) -> None:
        if text.startswith(("+++", "---")):
            fmt = QTextCharFormat()
            fmt.setFontWeight(QFont.Weight.Bold)
            self.setFormat(0, len(text), fmt)
        elif text[:1] in self.formats:
            self.setFormat(0, len(text), self.formats[text[:1]])


class CodeDiffView(QSplitter):
    """The files that differ between the two code snapshots; the selected one's diff beside."""

    def __init__(self, changes: list[Any], parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.changes = changes
        self.files = QListWidget(self)
        self.diff = QPlainTextEdit(self)
        self.diff.setReadOnly(True)
        self.diff.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.diff.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.highlighter = DiffHighlighter(self.diff.document())
        for change in changes:
            item = QListWidgetItem(f"{_CHANGE_MARK.get(change.change, '~')} {change.path}")
            item.setToolTip(f"{change.path}: {change.change}" + (" (binary)" if change.binary else ""))
            self.files.addItem(item)
        self.files.currentRowChanged.connect(self.show_file)
        self.setStretchFactor(1, 3)
        if changes:
            self.files.setCurrentRow(0)

    def show_file(self, row: int) -> None:
        if not 0 <= row < len(self.changes):
            self.diff.clear()
            return
        change = self.changes[row]
        if change.diff:
            self.diff.setPlainText(change.diff)
        else:
            why = "binary" if change.binary else "too large to show"
            self.diff.setPlainText(f"{change.path}: {change.change} ({why})")


class CompareDialog(QDialog):
    def __init__(
        self,
        a: str,
        b: str,
        diff: list[tuple[str, str, Any, Any]],
        parent: QWidget | None = None,
        comparison: Any = None,
    ) -> None:
        """``diff``: (node, parameter, a, b) rows; ``comparison``: runner.store.compare's result
        (code and the rest; None leaves the dialog at parameters)."""
        super().__init__(parent)
        self.setWindowTitle(f"Compare runs {a} and {b}")
        self.diff = diff
        self.comparison = comparison
        self.tabs = QTabWidget(self)
        self.table = _table(
            [(n, k, _show(va), _show(vb)) for n, k, va, vb in diff], ["Node", "Parameter", a, b], self
        )
        self.tabs.addTab(self.table, f"Parameters ({len(diff)})")
        self.code: CodeDiffView | None = None
        self.other: QTableWidget | None = None
        if comparison is not None:
            self._add_code_tab(comparison)
            rows = [
                (e.node, f"{label} {f.name}", _show(f.a), _show(f.b))
                for e in comparison.executions
                for section, label in SECTIONS[1:]
                for f in getattr(e, section)
            ]
            rows += [
                (e.node, "only in " + ("b" if e.a is None else "a"), "", "")
                for e in comparison.executions
                if e.a is None or e.b is None
            ]
            self.other = _table(rows, ["Node", "What", a, b], self)
            self.tabs.addTab(self.other, f"Image, inputs, environment, metrics ({len(rows)})")
        note = "Parameters that differ" if diff else "Both runs used the same parameters."
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(f"<b>{note}</b> — metric curves of both runs are overlaid in the Metrics dock.")
        )
        layout.addWidget(self.tabs)
        self.resize(900, 520)

    def _add_code_tab(self, comparison: Any) -> None:
        if comparison.code is None:
            label = QLabel(f"The code cannot be compared: {comparison.code_note}.", self)
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            self.tabs.addTab(label, "Code (unknown)")
            return
        if not comparison.code:
            self.tabs.addTab(QLabel("Both runs ran the same code.", self), "Code (same)")
            return
        self.code = CodeDiffView(comparison.code, self)
        count = len(comparison.code)
        self.tabs.addTab(
            self.code, f"Code ({count} file{'s' if count != 1 else ''} differ{'s' if count == 1 else ''})"
        )
