"""Past runs from the store: status, duration, chosen metrics; load one, or compare two."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.bridge.history import RunHistory, RunSummary
from designer.run.status_badge import STATUS_COLORS, format_elapsed

STATUS_MARK = {
    "succeeded": "✓",
    "failed": "✗",
    "cancelled": "■",
    "stopped": "■",  # a stop-pipeline action ended it: not a failure
    "running": "▶",
    "interrupted": "!",
}
_ID = Qt.ItemDataRole.UserRole


def param_diff(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[tuple[str, str, Any, Any]]:
    """(node, parameter, value in a, value in b) for every parameter that differs between two runs."""
    pa = {e["node"]: e.get("parameters") or {} for e in a}
    pb = {e["node"]: e.get("parameters") or {} for e in b}
    out = []
    for node in sorted(set(pa) | set(pb)):
        x, y = pa.get(node, {}), pb.get(node, {})
        for key in sorted(set(x) | set(y)):
            if x.get(key) != y.get(key):
                out.append((node, key, x.get(key), y.get(key)))
    return out


def metric_cell(summary: RunSummary, keys: list[str]) -> str:
    parts = []
    for key in keys:
        for node, values in summary.last_metrics.items():
            value = values.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                parts.append(f"{key}={value:.4g}" + (f" ({node})" if len(summary.last_metrics) > 1 else ""))
    return ", ".join(parts)


class RunsBrowser(QWidget):
    # Load this run into the canvas, logs and metrics (run id)
    run_selected = Signal(str)
    # Compare two runs (older id, newer id)
    compare_requested = Signal(str, str)

    def __init__(self, history: RunHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.summaries: list[RunSummary] = []
        # The open file's key (``file_runs.file_key``): its runs only, unless "All files"; None: all.
        self.file: str | None = None
        self.all_files = QCheckBox("All files", self)
        self.all_files.setToolTip("Show the runs of every file, not only of the open one")
        self.all_files.toggled.connect(self.refresh)
        self.keys_edit = QLineEdit("accuracy, loss", self)
        self.keys_edit.setToolTip("Metric keys to show (comma separated): the last value of each")
        self.keys_edit.editingFinished.connect(self.refresh)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Run", "What", "Status", "Started", "Duration", "Metrics"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.itemDoubleClicked.connect(lambda item, _c: self.run_selected.emit(item.data(0, _ID)))
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        refresh = QPushButton("Refresh", self)
        refresh.clicked.connect(self.refresh)
        self.load_b = QPushButton("Show run", self)
        self.load_b.clicked.connect(self._load)
        self.compare_b = QPushButton("Compare", self)
        self.compare_b.setToolTip("Select two runs")
        self.compare_b.clicked.connect(self._compare)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Metrics:", self))
        bar.addWidget(self.keys_edit, 1)
        bar.addWidget(self.all_files)
        for b in (refresh, self.load_b, self.compare_b):
            bar.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(bar)
        layout.addWidget(self.tree, 1)
        self._update_buttons()

    def keys(self) -> list[str]:
        return [k.strip() for k in self.keys_edit.text().split(",") if k.strip()]

    def set_file(self, file: str | None) -> None:
        self.file = file
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        everywhere = self.all_files.isChecked()
        self.summaries = self.history.runs(file=None if everywhere else self.file)
        self.tree.clear()
        keys = self.keys()
        for s in self.summaries:
            took = format_elapsed(s.duration) if s.duration is not None else "–"
            what = f"pipeline {s.pipeline}" if s.pipeline else f"step {s.step}"
            if everywhere and s.yaml_path:
                what += f" · {Path(s.yaml_path).name}"
            started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(s.started))
            status = f"{STATUS_MARK.get(s.status, '·')} {s.status}"
            item = QTreeWidgetItem([s.id, what, status, started, took, metric_cell(s, keys)])
            item.setData(0, _ID, s.id)
            item.setForeground(2, QBrush(QColor(STATUS_COLORS.get(s.status, "#6e7781"))))
            item.setToolTip(1, s.yaml_path or "")
            self.tree.addTopLevelItem(item)
        for col in range(5):
            self.tree.resizeColumnToContents(col)
        self._update_buttons()

    def selected_ids(self) -> list[str]:
        return [item.data(0, _ID) for item in self.tree.selectedItems()]

    def _update_buttons(self) -> None:
        n = len(self.selected_ids())
        self.load_b.setEnabled(n == 1)
        self.compare_b.setEnabled(n == 2)

    def _load(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            self.run_selected.emit(ids[0])

    def _compare(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 2:
            order = {s.id: s.started for s in self.summaries}
            a, b = sorted(ids, key=lambda i: order.get(i, 0))
            self.compare_requested.emit(a, b)
