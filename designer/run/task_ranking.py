"""The metrics dock's task view: a task node's executions ranked by one metric.

One row per execution (its varied parameters, the metric's latest value, its status), best first,
the best one highlighted, executions without the metric last. The metric chosen here is also
the one the plot overlays (one curve per execution). Beside the table, in tabs: the sweep's
parallel coordinates and a parameter-against-metric scatter (designer/run/sweep_plots.py).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from designer.run.series import MetricSource
from designer.run.sweep_plots import SweepPlots, SweepPoint
from runner.api import rank_children

COLUMNS = ["Rank", "Execution", "Parameters", "Value", "Status"]
BEST = "#dafbe1"  # light green row (light palette)
BEST_DARK = "#1f3d2a"
_LOWER_IS_BETTER = ("loss", "error", "err", "mse", "mae", "rmse", "perplexity")


def lower_is_better(metric: str) -> bool:
    """A first guess at the order (the user flips it with the toggle)."""
    name = metric.lower()
    return any(word in name for word in _LOWER_IS_BETTER)


class TaskRanking(QWidget):
    # The metric to overlay and rank by was changed by the user (key)
    metric_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.node = ""
        self.params: dict[int, str] = {}  # execution -> "lr=0.1 depth=3"
        self.statuses: dict[int, str] = {}
        self.sources: dict[int, MetricSource] = {}
        self.values: dict[int, dict[str, Any]] = {}  # execution -> its varied parameters' values
        self.ranking: list[tuple[int, float | None]] = []
        self.title = QLabel(self)
        self.metric = QComboBox(self)
        self.metric.setToolTip("The metric to overlay and rank the executions by (its latest value)")
        self.metric.currentTextChanged.connect(self._on_metric)
        self.order = QToolButton(self)
        self.order.setCheckable(True)
        self.order.setChecked(True)
        self.order.setToolTip("Best first: the highest value (descending) or the lowest (ascending)")
        self.order.toggled.connect(self._on_order)
        self._on_order(True)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 4, 4, 0)
        bar.addWidget(self.title, 1)
        bar.addWidget(QLabel("Rank by:", self))
        bar.addWidget(self.metric)
        bar.addWidget(self.order)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        self.sweep = SweepPlots(self)
        self.sweep.tabs.insertTab(0, self.table, "Ranking")
        self.sweep.tabs.setCurrentIndex(0)
        self.sweep.execution_picked.connect(self.select_execution)
        layout.addWidget(self.sweep, 1)

    # --- what is ranked ------------------------------------------------------------------------
    def set_task(
        self, node: str, params: dict[int, str], statuses: dict[int, str], sources: dict[int, MetricSource]
    ) -> None:
        self.node, self.params, self.statuses, self.sources = node, params, statuses, sources
        self.title.setText(f"<b>{node}</b>: {len(params)} executions")
        self.update_metrics()

    def set_values(self, values: dict[int, dict[str, Any]]) -> None:
        """The executions' varied parameter values, as values (the plots need numbers, not text)."""
        self.values = dict(values)
        self.refresh()

    def select_execution(self, child: int) -> None:
        """Show execution ``child``'s row in the ranking (picked in a plot)."""
        rows = [r for r in range(self.table.rowCount()) if self.table.item(r, 1).text() == f"#{child}"]
        if rows:
            self.sweep.tabs.setCurrentWidget(self.table)
            self.table.selectRow(rows[0])

    def update_metrics(self) -> None:
        """Offer the numeric keys the executions printed (sources may have grown); rank again."""
        keys = sorted({k for s in self.sources.values() for k in s.columns})
        current = self.metric.currentText()
        if [self.metric.itemText(i) for i in range(self.metric.count())] != keys:
            self.metric.blockSignals(True)
            self.metric.clear()
            self.metric.addItems(keys)
            self.metric.setCurrentText(current if current in keys else default_metric(keys))
            self.metric.blockSignals(False)
            if self.metric.currentText() != current:
                self._on_metric(self.metric.currentText())
                return
        self.refresh()

    @property
    def descending(self) -> bool:
        return self.order.isChecked()

    def set_descending(self, on: bool) -> None:
        self.order.setChecked(on)

    def _on_metric(self, metric: str) -> None:
        if metric:
            self.order.blockSignals(True)
            self.order.setChecked(not lower_is_better(metric))
            self._on_order(self.order.isChecked())
            self.order.blockSignals(False)
        self.refresh()
        self.metric_changed.emit(metric)

    def _on_order(self, descending: bool) -> None:
        self.order.setText("Descending ↓" if descending else "Ascending ↑")
        self.refresh()

    # --- the table -------------------------------------------------------------------------------
    def refresh(self) -> None:
        if not hasattr(self, "table"):
            return  # called from the constructor before the table exists
        metric = self.metric.currentText()
        children = sorted(set(self.params) | set(self.sources))
        latest = {k: self.sources[k].latest(metric) if k in self.sources else None for k in children}
        by_child = {k: [{metric: v}] if v is not None else [] for k, v in latest.items()}
        self.ranking = rank_children(by_child, metric, descending=self.descending) if metric else []
        self.table.setRowCount(len(self.ranking))
        dark = self.palette().base().color().lightness() < 128
        bold = QFont(self.font())
        bold.setBold(True)
        for row, (child, value) in enumerate(self.ranking):
            best = row == 0 and value is not None
            cells = [
                str(row + 1) if value is not None else "–",
                f"#{child}",
                self.params.get(child, ""),
                f"{value:.6g}" if value is not None else "–",
                self.statuses.get(child, ""),
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col in (0, 3):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if best:
                    item.setBackground(QBrush(QColor(BEST_DARK if dark else BEST)))
                    item.setFont(bold)
                    item.setToolTip(f"best {metric}")
                self.table.setItem(row, col, item)
        self.table.setHorizontalHeaderItem(3, QTableWidgetItem(metric or "Value"))
        self.sweep.set_points(self.sweep_points(), metric, self.descending)

    def sweep_points(self) -> list[SweepPoint]:
        """Each execution's varied values and the latest value of every key it printed."""
        points = []
        for child in sorted(set(self.params) | set(self.sources)):
            source = self.sources.get(child)
            latest = {k: source.latest(k) for k in source.columns} if source is not None else {}
            metrics = {k: float(v) for k, v in latest.items() if isinstance(v, int | float) and v == v}
            points.append(SweepPoint(child, dict(self.values.get(child, {})), metrics))
        return points

    def order_shown(self) -> list[int]:
        """The executions in the table's order (tests)."""
        return [int(self.table.item(r, 1).text()[1:]) for r in range(self.table.rowCount())]


def default_metric(keys: list[str]) -> str:
    for preferred in ("accuracy", "acc", "f1", "score", "loss"):
        if preferred in keys:
            return preferred
    plain = [k for k in keys if k.lower() not in {"epoch", "step", "iteration", "iter", "batch"}]
    return (plain or keys or [""])[0]
