"""Inspector fields that validate as the user types and commit on Enter / focus out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtGui import QFocusEvent, QFontDatabase
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

ERROR_COLOR = "#cf222e"
_INVALID = f"border: 1px solid {ERROR_COLOR}; background: rgba(207, 34, 46, 0.10);"


def problem_label(parent: QWidget) -> QLabel:
    """The red, word-wrapped line under a form that says why a value was refused (hidden until then)."""
    label = QLabel(parent)
    label.setStyleSheet(f"color: {ERROR_COLOR}")
    label.setWordWrap(True)
    label.hide()
    return label


class _Checked:
    """What both fields do with a refused text: say why on the field (red, tooltip) and to the form."""

    problem: str
    problem_changed: Any  # the field's Signal(str)

    def parse(self, text: str) -> Any:
        raise NotImplementedError

    def _check(self, text: str) -> bool:
        try:
            self.parse(text)
        except ValueError as exc:
            self._set_problem(str(exc))
            return False
        self._set_problem("")
        return True

    def _set_problem(self, problem: str) -> None:
        self.problem = problem
        self.setStyleSheet(_INVALID if problem else "")  # type: ignore[attr-defined]
        self.setToolTip(problem)  # type: ignore[attr-defined]
        self.problem_changed.emit(problem)


class LineField(_Checked, QLineEdit):
    """``parse(text) -> value`` raises ValueError for invalid text, shown at once as a red field."""

    # The parsed value, emitted on Enter / focus out when it is valid and changed
    committed = Signal(object)
    # The current problem ("" when valid), for a label under the form
    problem_changed = Signal(str)

    def __init__(self, parse: Callable[[str], Any] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.parse = parse or (lambda t: t.strip() or None)  # type: ignore[method-assign]
        self._shown = ""
        self.problem = ""
        self.textEdited.connect(self._check)
        self.editingFinished.connect(self._commit)

    def set_value(self, text: str) -> None:
        if self.hasFocus() and self.isModified():
            return  # never clobber what the user is typing
        with QSignalBlocker(self):
            self.setText(text)
        self._shown = text
        self.setModified(False)
        self._set_problem("")

    def _commit(self) -> None:
        text = self.text()
        if text == self._shown or not self._check(text):
            return
        self._shown = text
        self.setModified(False)
        self.committed.emit(self.parse(text))


class TextField(_Checked, QPlainTextEdit):
    """Multi-line text committed on focus out: a list of lines, or YAML (``as_yaml``)."""

    committed = Signal(object)
    problem_changed = Signal(str)

    def __init__(self, as_yaml: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.as_yaml = as_yaml
        self._shown = ""
        self.problem = ""
        if as_yaml:
            self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setTabChangesFocus(True)
        self.textChanged.connect(self._validate)

    def set_value(self, text: str) -> None:
        if self.hasFocus() and self.toPlainText() != self._shown:
            return
        with QSignalBlocker(self):
            self.setPlainText(text)
        self._shown = text
        self._set_problem("")

    def parse(self, text: str) -> Any:
        if not self.as_yaml:
            lines = [line for line in text.split("\n") if line.strip()]
            return lines or None
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            raise ValueError(f"not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
        return value

    def _validate(self) -> bool:
        return self._check(self.toPlainText())

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.commit()

    def commit(self) -> None:
        text = self.toPlainText()
        if text != self._shown and self._validate():
            self._shown = text
            self.committed.emit(self.parse(text))


def yaml_text(value: Any) -> str:
    """Show a plain value as block YAML in a text field."""
    if value in (None, {}, []):
        return ""
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=False, allow_unicode=True).rstrip()


def table_with_buttons(
    parent: QWidget, table: QWidget, buttons: list[tuple[str, Callable[[], Any]]]
) -> tuple[QHBoxLayout, list[QPushButton]]:
    """A list dialog's top row: the table, and a column of buttons (text, slot) beside it."""
    made = []
    side = QVBoxLayout()
    for text, slot in buttons:
        button = QPushButton(text, parent)
        button.clicked.connect(lambda _checked=False, slot=slot: slot())
        side.addWidget(button)
        made.append(button)
    side.addStretch(1)
    row = QHBoxLayout()
    row.addWidget(table, 1)
    row.addLayout(side)
    return row, made


def list_table(parent: QWidget, columns: list[str]) -> QTableWidget:
    """A list dialog's table: read-only, one whole row selected at a time, the last column wide."""
    table = QTableWidget(0, len(columns), parent)
    table.setHorizontalHeaderLabels(columns)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().hide()
    return table


class NamedRows:
    """For a list dialog whose ``table`` names one thing a row in column 0 (hosts, triggers)."""

    table: QTableWidget

    def names(self) -> list[str]:
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount())]

    def selected(self) -> str | None:
        """The name of the one selected row; None for no row or several."""
        rows = {i.row() for i in self.table.selectedItems()}
        return self.table.item(rows.pop(), 0).text() if len(rows) == 1 else None

    def select(self, name: str) -> None:
        names = self.names()
        if name in names:
            self.table.selectRow(names.index(name))
