"""The runs as a table, like an executions list: one row per run, sortable columns.

Fixed columns (run, status, file, pipeline, started, duration, tags, note), then one column per
parameter whose value differs between the listed runs (``node.param``), then one per final
metric (the last value each run printed; ``node.key`` when several nodes print that key). Sorting
is by value (numbers as numbers, empty cells last); the text filter keeps rows containing every
word typed, in any column.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from designer.bridge.history import RunSummary
from designer.run.status_badge import STATUS_COLORS, format_elapsed

FIXED = ("Run", "Status", "File", "Pipeline", "Started", "Duration", "Tags", "Note")
STATUS_MARK = {
    "succeeded": "✓",
    "failed": "✗",
    "cancelled": "■",
    "stopped": "■",  # a stop-pipeline action ended it: not a failure
    "running": "▶",
    "interrupted": "!",
}
SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # (is empty, value) for sorting
RUN_ID_ROLE = Qt.ItemDataRole.UserRole
_Index = QModelIndex | QPersistentModelIndex


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def format_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(format_cell(v) for v in value)
    return str(value)


@dataclass
class RunRow:
    summary: RunSummary
    params: dict[str, Any] = field(default_factory=dict)  # column name -> value
    metrics: dict[str, float] = field(default_factory=dict)  # column name -> final value


def _flatten(per_node: dict[str, dict[str, Any]], keys_in_nodes: dict[str, set[str]]) -> dict[str, Any]:
    """{node: {key: v}} -> {"key": v} when only one node has ``key``, else {"node.key": v}."""
    out: dict[str, Any] = {}
    for node, values in per_node.items():
        for key, value in values.items():
            out[key if len(keys_in_nodes.get(key, ())) == 1 else f"{node}.{key}"] = value
    return out


def build_rows(summaries: list[RunSummary]) -> tuple[list[RunRow], list[str], list[str]]:
    """Rows and the parameter and metric column names for these runs."""
    param_nodes: dict[str, set[str]] = {}
    metric_nodes: dict[str, set[str]] = {}
    for s in summaries:
        for node, values in s.params.items():
            for key in values:
                param_nodes.setdefault(key, set()).add(node)
        for node, values in s.last_metrics.items():
            for key, value in values.items():
                if _number(value):
                    metric_nodes.setdefault(key, set()).add(node)
    rows = []
    for s in summaries:
        numeric = {n: {k: v for k, v in vals.items() if _number(v)} for n, vals in s.last_metrics.items()}
        rows.append(RunRow(s, _flatten(s.params, param_nodes), _flatten(numeric, metric_nodes)))
    all_params = sorted({k for r in rows for k in r.params})
    varying = [k for k in all_params if len({repr(r.params.get(k)) for r in rows}) > 1]
    metrics = sorted({k for r in rows for k in r.metrics})
    return rows, varying, metrics


class RunTableModel(QAbstractTableModel):
    """Cells are worked out once per listing (text, sort key, filter text): sizing the columns,
    sorting and every keystroke of the text filter then only look them up."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[RunRow] = []
        self.param_columns: list[str] = []
        self.metric_columns: list[str] = []
        self._values: list[list[Any]] = []  # [row][column] raw value
        self._texts: list[list[str]] = []  # [row][column] what the cell shows
        self._haystacks: list[str] = []  # [row] what the text filter searches, lower-cased
        self._headers: list[str] = list(FIXED)

    def set_summaries(self, summaries: list[RunSummary]) -> None:
        self.beginResetModel()
        self.rows, self.param_columns, self.metric_columns = build_rows(summaries)
        self._headers = [*FIXED, *self.param_columns, *self.metric_columns]
        columns = range(len(self._headers))
        self._values = [[self.value(r, c) for c in columns] for r in self.rows]
        self._texts = [[_text(c, v) for c, v in enumerate(values)] for values in self._values]
        self._haystacks = [
            " ".join(
                [*texts, r.summary.note or "", r.summary.yaml_path or ""]
                + [f"{k}={format_cell(v)}" for k, v in r.params.items()]
            ).casefold()
            for r, texts in zip(self.rows, self._texts, strict=True)
        ]
        self.endResetModel()

    def headers(self) -> list[str]:
        return list(self._headers)

    def column_kind(self, column: int) -> str:
        """ "fixed", "param" or "metric"."""
        if column < len(FIXED):
            return "fixed"
        return "param" if column < len(FIXED) + len(self.param_columns) else "metric"

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        kind = self.column_kind(section)
        if role == Qt.ItemDataRole.ToolTipRole:
            return {"param": "parameter value", "metric": "final metric: the last value printed"}.get(kind)
        if role == Qt.ItemDataRole.FontRole and kind == "param":  # parameters in italics, metrics upright
            font = QFont()
            font.setItalic(True)
            return font
        return None

    def value(self, row: RunRow, column: int) -> Any:
        """The raw value of a cell (what it sorts by)."""
        s = row.summary
        kind = self.column_kind(column)
        if kind == "param":
            return row.params.get(self.param_columns[column - len(FIXED)])
        if kind == "metric":
            return row.metrics.get(self.metric_columns[column - len(FIXED) - len(self.param_columns)])
        if column == 2:
            path = Path(s.yaml_path) if s.yaml_path else None
            return f"{path.parent.name}/{path.name}" if path else None
        return (
            s.id,
            s.status,
            None,
            s.pipeline or (f"step {s.step}" if s.step else None),
            s.started,
            s.duration,
            ", ".join(s.tags) or None,
            (s.note or "").split("\n", 1)[0] or None,
        )[column]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], index.column()
        value = self._values[index.row()][column]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._texts[index.row()][column]
        if role == SORT_ROLE:
            return (value is None, value if _number(value) else str(value or "").casefold())
        if role == RUN_ID_ROLE:
            return row.summary.id
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return QBrush(QColor(STATUS_COLORS.get(str(value), "#6e7781")))
        if role == Qt.ItemDataRole.TextAlignmentRole and _number(value) and column >= len(FIXED):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 2:
                return row.summary.yaml_path
            if column == 7:
                return row.summary.note
        return None

    def haystack(self, row: int) -> str:
        """Everything the text filter looks at in a row (lower-cased)."""
        return self._haystacks[row]


def _text(column: int, value: Any) -> str:
    if column == 1:
        return f"{STATUS_MARK.get(str(value), '·')} {value}"
    if column == 4:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(value))
    if column == 5:
        return format_elapsed(value) if value is not None else "–"
    return format_cell(value)


class RunFilterProxy(QSortFilterProxyModel):
    """Sorts by value and keeps the rows that contain every word of the text filter."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.words: list[str] = []
        self.setSortRole(SORT_ROLE)

    def set_text(self, text: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.10 and later (invalidateFilter is deprecated)
            self.beginFilterChange()
            self.words = [w.casefold() for w in text.split()]
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.words = [w.casefold() for w in text.split()]
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        if not self.words:
            return True
        model = self.sourceModel()
        hay = model.haystack(source_row) if isinstance(model, RunTableModel) else ""
        return all(word in hay for word in self.words)

    def lessThan(self, left: _Index, right: _Index) -> bool:
        (empty_a, a), (empty_b, b) = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if empty_a != empty_b:  # empty cells last, whichever way the column is sorted
            return empty_b if self.sortOrder() == Qt.SortOrder.AscendingOrder else empty_a
        try:
            return bool(a < b)
        except TypeError:  # a number against text in one column: compare as text
            return str(a) < str(b)


__all__ = ["FIXED", "RUN_ID_ROLE", "RunFilterProxy", "RunRow", "RunTableModel", "build_rows", "format_cell"]
