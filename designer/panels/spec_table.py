"""An editable table of named specs (a step's parameters or inputs); invalid cells show inline.

Cells are text, a check box (``bool``), a drop-down (``choice``) or read-only (``readonly``).
A value the cell kind cannot show (a list in a drop-down column) is shown read-only, never lost.
The Name column stays in view however far the table is scrolled sideways (a frozen column,
as in Qt's frozen-column example: a second view over the same model and selection).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from designer.panels.form_fields import problem_label
from designer.panels.value_parsing import format_value

ERROR_TINT = QColor(207, 34, 46, 60)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text | bool | choice | readonly
    # parse(text, row) -> value, raising ValueError with the reason
    parse: Callable[[str, dict[str, Any]], Any] | None = None
    width: int = 0
    choices: tuple[str, ...] = ()  # for "choice"; SpecTable.set_choices changes them per table
    scalar_only: bool = False  # a list/mapping value is shown read-only (edited elsewhere)


class _FrozenNameColumn(QTableView):
    """Column 0 of ``table``, drawn over its left edge; edits and selection are the table's own."""

    def __init__(self, table: QTableWidget) -> None:
        super().__init__(table)
        self.table = table
        self.setModel(table.model())
        self.setSelectionModel(table.selectionModel())
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(table.editTriggers())
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(table.verticalHeader().defaultSectionSize())
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QTableView.Shape.NoFrame)
        self.setStyleSheet("QTableView { border-right: 1px solid palette(mid); }")
        table.viewport().stackUnder(self)
        table.horizontalHeader().sectionResized.connect(self._column_resized)
        table.model().columnsInserted.connect(self.hide_other_columns)
        self.hide_other_columns()

    def hide_other_columns(self, *_args: object) -> None:
        for column in range(1, self.table.columnCount()):
            self.setColumnHidden(column, True)
        self.setColumnWidth(0, self.table.columnWidth(0))

    def _column_resized(self, index: int, _old: int, new: int) -> None:
        if index == 0:
            self.setColumnWidth(0, new)
            self.place()

    def place(self) -> None:
        t = self.table
        frame = t.frameWidth()
        height = t.viewport().height() + t.horizontalHeader().height()
        self.setGeometry(frame, frame, t.columnWidth(0), height)


class SpecTable(QWidget):
    # (name, key, value) of a valid cell edit; value None removes the key
    field_edited = Signal(str, str, object)
    # (old name, new name)
    renamed = Signal(str, str)
    add_requested = Signal()
    # name of the selected row
    remove_requested = Signal(str)

    def __init__(
        self, what: str, columns: list[Column], parent: QWidget | None = None, *, editable_rows: bool = True
    ) -> None:
        super().__init__(parent)
        self.columns = columns
        self.choices = {c.key: c.choices for c in columns if c.kind == "choice"}
        self.rows: list[dict[str, Any]] = []
        self.table = QTableWidget(0, len(columns), self)
        self.table.setHorizontalHeaderLabels([c.label for c in columns])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for i, c in enumerate(columns):
            self.table.setColumnWidth(i, c.width or 80)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.table.itemChanged.connect(self._on_item_changed)
        # A drop-down name cell is a cell widget the frozen view cannot show: no frozen column then.
        self.frozen = _FrozenNameColumn(self.table) if columns[0].kind != "choice" else None
        self.error = problem_label(self)
        self.add_button = QToolButton(self)
        self.add_button.setText(f"+ Add {what}")
        self.add_button.setAutoRaise(True)
        self.add_button.clicked.connect(self.add_requested)
        self.remove_button = QToolButton(self)
        self.remove_button.setText("− Remove")
        self.remove_button.setAutoRaise(True)
        self.remove_button.clicked.connect(self._remove_selected)
        self.buttons = QHBoxLayout()
        self.buttons.setContentsMargins(0, 0, 0, 0)
        self.buttons.addWidget(self.add_button)
        self.buttons.addWidget(self.remove_button)
        self.buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.table)
        layout.addWidget(self.error)
        layout.addLayout(self.buttons)
        for button in (self.add_button, self.remove_button):
            button.setVisible(editable_rows)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self.frozen is not None:
            self.frozen.place()

    def set_choices(self, key: str, choices: list[str] | tuple[str, ...]) -> None:
        """The drop-down items of ``choice`` column ``key`` (applied by the next ``set_rows``)."""
        self.choices[key] = tuple(choices)

    def _choice_cell(self, r: int, c: int, col: Column, value: Any) -> None:
        combo = QComboBox(self.table)
        choices = list(self.choices.get(col.key, ()))
        text = "" if value is None else str(value)
        combo.addItems(choices if text in choices or not text else [*choices, text])
        combo.setCurrentText(text)
        combo.activated.connect(lambda _i, r=r, key=col.key, box=combo: self._on_choice(r, key, box))
        self.table.setCellWidget(r, c, combo)

    def _on_choice(self, r: int, key: str, combo: QComboBox) -> None:
        row, text = self.rows[r], combo.currentText()
        if text == str(row.get(key)):
            return
        if key == "name":
            self.renamed.emit(str(row.get("name", "")), text)
        else:
            self.field_edited.emit(str(row.get("name", "")), key, text)

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.rows = [dict(r) for r in rows]
        with QSignalBlocker(self.table):
            self.table.clearContents()
            self.table.setRowCount(len(rows))
            for r, row in enumerate(rows):
                for c, col in enumerate(self.columns):
                    item = QTableWidgetItem()
                    value = row.get(col.key)
                    nested = isinstance(value, list | dict) and (col.kind == "choice" or col.scalar_only)
                    if col.kind == "readonly" or nested:
                        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                        item.setText(format_value(value))
                        item.setToolTip(format_value(value))
                    elif col.kind == "choice":
                        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                        self._choice_cell(r, c, col, value)
                    elif col.kind == "bool":
                        item.setFlags(
                            Qt.ItemFlag.ItemIsEnabled
                            | Qt.ItemFlag.ItemIsUserCheckable
                            | Qt.ItemFlag.ItemIsSelectable
                        )
                        item.setCheckState(
                            Qt.CheckState.Checked if row.get(col.key) else Qt.CheckState.Unchecked
                        )
                    else:
                        item.setText(format_value(row.get(col.key)))
                    self.table.setItem(r, c, item)
        # Show every row (the inspector scrolls, not the table); leave room for the column scroll bar.
        rows_h = self.table.verticalHeader().defaultSectionSize() * max(len(rows), 1)
        chrome = self.table.horizontalHeader().sizeHint().height() + 2 * self.table.frameWidth()
        chrome += self.table.horizontalScrollBar().sizeHint().height()
        self.table.setFixedHeight(rows_h + chrome)
        self.table.horizontalScrollBar().setValue(0)  # open on Name and Type, not scrolled away
        if self.frozen is not None:
            self.frozen.place()
        self.error.hide()

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        row, col = self.rows[item.row()], self.columns[item.column()]
        name = str(row.get("name", ""))
        if col.kind == "bool":
            self._mark(item, None)
            self.field_edited.emit(name, col.key, item.checkState() == Qt.CheckState.Checked)
            return
        text = item.text()
        if col.key == "name":
            if not text.strip():
                self._mark(item, "A name cannot be empty.")
            elif text.strip() != name:
                self._mark(item, None)
                self.renamed.emit(name, text.strip())
            return
        try:
            value = col.parse(text, row) if col.parse else (text.strip() or None)
        except ValueError as exc:
            self._mark(item, str(exc))
            return
        self._mark(item, None)
        if value != row.get(col.key):
            self.field_edited.emit(name, col.key, value)

    def _mark(self, item: QTableWidgetItem, problem: str | None) -> None:
        with QSignalBlocker(self.table):
            item.setBackground(QBrush(ERROR_TINT) if problem else QBrush())
            item.setToolTip(problem or "")
        self.error.setText(problem or "")
        self.error.setVisible(bool(problem))

    def select(self, name: str | None) -> None:
        """Highlight the row called ``name`` without announcing it (the caller already knows)."""
        names = [str(r.get("name")) for r in self.rows]
        with QSignalBlocker(self.table):
            self.table.clearSelection()
            if name in names:
                self.table.selectRow(names.index(name))

    def _remove_selected(self) -> None:
        rows = {i.row() for i in self.table.selectedItems()}
        if len(rows) == 1:
            self.remove_requested.emit(str(self.rows[rows.pop()].get("name", "")))
