"""Metrics dock: pick nodes/runs and keys, x-axis, smoothing, log-y, hover read-out, export; the
nodes' system metrics below (designer.run.system_group)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSlider,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from designer.run.metrics_plot import MetricsPlot
from designer.run.series import RECORD_INDEX, WALL_TIME, MetricSource, write_csv
from designer.run.system_group import SystemGroup
from designer.run.task_ranking import TaskRanking
from runner.api import split_unit as split_child
from runner.api import unit_name as child_name

AUTO_KEYS = 4  # keys checked automatically when a first source appears
_ID = Qt.ItemDataRole.UserRole


class MetricsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sources: dict[tuple[str, str], MetricSource] = {}
        self._unchecked_keys: set[str] = set()
        # A task execution's title, "#3 lr=0.1 depth=3", from (run, node, child) (the run UI sets it)
        self.label_for: Callable[[str, str, int], str] = lambda _r, _n, k: f"#{k}"
        self.task: tuple[str, str] | None = None  # the (run, task node) overlaid and ranked
        self.plot_widget = pg.PlotWidget(background=self.palette().base().color())
        self.plot = MetricsPlot(self.plot_widget, self)
        self.system = SystemGroup(self)  # CPU, memory, GPUs of the checked nodes
        self._build()
        self.plot.hover_changed.connect(self.readout.setText)

    def _build(self) -> None:
        self.source_list = QListWidget(self)
        self.source_list.setToolTip("Nodes and runs to plot; check several to overlay them")
        self.key_list = QListWidget(self)
        self.key_list.setToolTip("Numeric metadata keys")
        for lst in (self.source_list, self.key_list):
            lst.itemChanged.connect(self._on_item_changed)
        side = QSplitter(Qt.Orientation.Vertical, self)
        side.addWidget(_titled("Series", self.source_list))
        side.addWidget(_titled("Keys", self.key_list))
        self.x_combo = QComboBox(self)
        self.x_combo.setToolTip("x axis")
        self.x_combo.addItems([RECORD_INDEX, WALL_TIME])
        self.x_combo.currentTextChanged.connect(self.plot.set_x_key)
        self.x_combo.currentTextChanged.connect(self._follow_x)
        self.smooth_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.smooth_slider.setRange(0, 99)
        self.smooth_slider.setFixedWidth(120)
        self.smooth_slider.setToolTip("Smoothing (exponential moving average); the raw curve stays faint")
        self.smooth_label = QLabel("0.00", self)
        self.smooth_slider.valueChanged.connect(self._on_smoothing)
        self.log_y = QCheckBox("Log y", self)
        self.log_y.toggled.connect(self.plot.set_log_y)
        png = _button("Export PNG…", self._ask_png)
        csv_button = _button("Export CSV…", self._ask_csv)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 0)
        for w in (QLabel("x:", self), self.x_combo, QLabel("  Smoothing:", self)):
            bar.addWidget(w)
        bar.addWidget(self.smooth_slider)
        bar.addWidget(self.smooth_label)
        bar.addWidget(self.log_y)
        bar.addStretch(1)
        bar.addWidget(png)
        bar.addWidget(csv_button)
        self.readout = QLabel(" ", self)
        self.readout.setObjectName("metrics-readout")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        right = QWidget(self)
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addLayout(bar)
        plots = QSplitter(Qt.Orientation.Vertical, right)
        plots.addWidget(self.plot_widget)
        plots.addWidget(self.system)
        plots.setStretchFactor(0, 3)
        plots.setStretchFactor(1, 1)
        rl.addWidget(plots, 1)
        rl.addWidget(self.readout)
        self.ranking = TaskRanking(self)
        self.ranking.metric_changed.connect(self._on_task_metric)
        self.ranking.hide()
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(side)
        split.addWidget(right)
        split.addWidget(self.ranking)
        split.setStretchFactor(1, 1)
        split.setCollapsible(0, False)
        side.setMinimumWidth(190)
        split.setSizes([190, 640, 520])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    # --- data in -----------------------------------------------------------------------------
    def add_records(self, events: list[Any], focus: str | None = None) -> None:
        """A batch of MetadataRecord events (live); a new node's series is plotted at once when
        it is the ``focus`` node (the selected one), or when no node is in focus."""
        by_source: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for e in events:  # a task's execution k is its own series, "train#3" as in the store
            by_source.setdefault((e.run_id, child_name(e.node, e.child)), []).append(e.record)
        for (run_id, node), records in by_source.items():
            base = split_child(node)[0]
            checked = focus is None or focus == base
            self.load_records(run_id, node, records, checked=checked)
        if self.task is not None and any(split_child(n)[0] == self.task[1] for _r, n in by_source):
            self.ranking.update_metrics()

    def load_records(
        self, run_id: str, node: str, records: list[dict[str, Any]], checked: bool = True
    ) -> None:
        source = self.sources.get((run_id, node))
        new = source is None
        if source is None:
            source = self.sources[(run_id, node)] = MetricSource(run_id, node)
            base, child = split_child(node)
            if child is not None:
                source.title = self.label_for(run_id, base, child)
        before = set(source.columns)
        source.add_records(records)
        if new:
            item = QListWidgetItem(source.label)
            item.setData(_ID, (run_id, node))
            item.setToolTip(f"run {run_id}, node {node}")
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.source_list.blockSignals(True)
            self.source_list.addItem(item)
            self.source_list.blockSignals(False)
        if new or set(source.columns) != before:
            self._sync_keys()
            if self.task is not None and self.ranking.metric.currentText():
                self.set_keys([self.ranking.metric.currentText()])  # the overlay shows one metric
            self._apply()

    def add_system(self, events: list[Any], focus: str | None = None) -> None:
        """A batch of SystemSampled events (live); a node not listed yet is, as for records."""
        for e in events:
            node = child_name(e.node, e.child)
            self.load_system(
                e.run_id, node, e.samples, e.gpu_note, checked=focus in (None, split_child(node)[0])
            )

    def load_system(
        self, run_id: str, node: str, samples: Any, gpu_note: str | None, checked: bool = True
    ) -> None:
        """System samples of a node (its series is listed even when it printed no metrics)."""
        if (run_id, node) not in self.sources:
            self.load_records(run_id, node, [], checked=checked)
        self.system.add(run_id, node, samples, gpu_note)
        self._show_system()

    def show_only(self, pairs: set[tuple[str, str]]) -> None:
        """Check exactly these (run, node) sources (the selected node, or two compared runs)."""
        self.source_list.blockSignals(True)
        for i in range(self.source_list.count()):
            item = self.source_list.item(i)
            on = tuple(item.data(_ID)) in pairs
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.source_list.blockSignals(False)
        self._sync_keys()
        self._apply()

    # --- a task node: its executions overlaid and ranked -------------------------------------------
    def task_sources(self, run_id: str, node: str) -> dict[int, MetricSource]:
        out = {}
        for (run, name), source in self.sources.items():
            base, child = split_child(name)
            if run == run_id and base == node and child is not None:
                out[child] = source
        return out

    def show_task(self, run_id: str, node: str, params: dict[int, str], statuses: dict[int, str]) -> None:
        """Overlay the task's executions (one curve each, of the ranking's metric) and rank them."""
        self.task = (run_id, node)
        sources = self.task_sources(run_id, node)
        for k, source in sources.items():
            source.title = self.label_for(run_id, node, k)
        self._relabel()
        self.show_only({(run_id, child_name(node, k)) for k in sources})
        self.ranking.set_task(node, params, statuses, sources)
        self.ranking.show()
        self._on_task_metric(self.ranking.metric.currentText())

    def clear_task(self) -> None:
        self.task = None
        self.ranking.hide()

    def _on_task_metric(self, metric: str) -> None:
        if self.task is not None and metric:
            self.set_keys([metric])

    def _relabel(self) -> None:
        for i in range(self.source_list.count()):
            item = self.source_list.item(i)
            item.setText(self.sources[tuple(item.data(_ID))].label)

    def clear(self) -> None:
        self.clear_task()
        self.sources.clear()
        self.source_list.clear()
        self.key_list.clear()
        self.plot.set_curves([])
        self.system.clear()

    # --- selection -----------------------------------------------------------------------------
    def checked_sources(self) -> list[MetricSource]:
        out = []
        for i in range(self.source_list.count()):
            item = self.source_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(self.sources[tuple(item.data(_ID))])
        return out

    def checked_keys(self) -> list[str]:
        items = [self.key_list.item(i) for i in range(self.key_list.count())]
        return [it.text() for it in items if it.checkState() == Qt.CheckState.Checked]

    def set_keys(self, keys: list[str]) -> None:
        self.key_list.blockSignals(True)
        for i in range(self.key_list.count()):
            item = self.key_list.item(i)
            on = item.text() in keys
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            if not on:
                self._unchecked_keys.add(item.text())
        self.key_list.blockSignals(False)
        self._apply()

    def _sync_keys(self) -> None:
        """The key list offers the keys of the checked series (all series when none is checked)."""
        shown = self.checked_sources() or list(self.sources.values())
        keys = sorted({k for s in shown for k in s.columns})
        for i in reversed(range(self.key_list.count())):
            if self.key_list.item(i).text() not in keys:
                self.key_list.takeItem(i)
        present = {self.key_list.item(i).text() for i in range(self.key_list.count())}
        auto = sum(
            1
            for i in range(self.key_list.count())
            if self.key_list.item(i).checkState() == Qt.CheckState.Checked
        )
        self.key_list.blockSignals(True)
        for key in keys:
            if key in present:
                continue
            item = QListWidgetItem(key)
            on = auto < AUTO_KEYS and key not in self._unchecked_keys and not _is_axis_key(key)
            auto += on
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.key_list.addItem(item)
        self.key_list.sortItems()
        if not self.checked_keys():  # never an empty plot when there is something to show
            for i in range(self.key_list.count()):
                item = self.key_list.item(i)
                if item.text() not in self._unchecked_keys and not _is_axis_key(item.text()):
                    item.setCheckState(Qt.CheckState.Checked)
                    if len(self.checked_keys()) >= AUTO_KEYS:
                        break
        self.key_list.blockSignals(False)
        current = self.x_combo.currentText()
        axis = [RECORD_INDEX, WALL_TIME, *keys]
        if [self.x_combo.itemText(i) for i in range(self.x_combo.count())] != axis:
            self.x_combo.blockSignals(True)
            self.x_combo.clear()
            self.x_combo.addItems(axis)
            self.x_combo.setCurrentText(current if current in axis else RECORD_INDEX)
            self.x_combo.blockSignals(False)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if item.listWidget() is self.key_list:
            if item.checkState() != Qt.CheckState.Checked:
                self._unchecked_keys.add(item.text())
            else:
                self._unchecked_keys.discard(item.text())
        else:
            self._sync_keys()
        self._apply()

    def _apply(self) -> None:
        keys = self.checked_keys()
        self.plot.set_curves([(s, k) for s in self.checked_sources() for k in keys if k in s.columns])
        self._show_system()

    def _show_system(self) -> None:
        """The System group shows the checked nodes, from the origin of their wall-time axis."""
        shown = self.checked_sources()
        pairs = [(s.run_id, s.node) for s in shown]
        origins = {(s.run_id, s.node): _first_time(s) for s in shown}
        self.system.show_nodes(pairs, origins, {(s.run_id, s.node): s.label for s in shown})

    def _follow_x(self, key: str) -> None:
        self.system.follow_x(self.plot.item.vb if key == WALL_TIME else None)

    def _on_smoothing(self, value: int) -> None:
        self.smooth_label.setText(f"{value / 100:.2f}")
        self.plot.set_smoothing(value / 100)

    # --- export ----------------------------------------------------------------------------------
    def export_png(self, path: Path) -> None:
        self.plot.refresh()
        if not self.plot_widget.grab().save(str(path), "PNG"):
            raise OSError(f"could not write {path}")

    def export_csv(self, path: Path) -> int:
        with open(path, "w", newline="", encoding="utf-8") as fh:
            return write_csv(fh, self.checked_sources(), self.checked_keys(), self.plot.x_key)

    def _ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plot", "metrics.png", "PNG images (*.png)")
        if path:
            self.export_png(Path(path))

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export metrics", "metrics.csv", "CSV files (*.csv)")
        if path:
            self.export_csv(Path(path))

    def shutdown(self) -> None:
        self.plot.stop()
        self.system.stop()


def _first_time(source: MetricSource) -> float | None:
    """The origin of the source's wall-time axis (None: it has no timed record yet)."""
    times = source.time.view()
    return float(times[0]) if len(times) and math.isfinite(times[0]) else None


def _is_axis_key(key: str) -> bool:
    return key.lower() in {"epoch", "step", "iteration", "iter", "batch"}


def _titled(title: str, widget: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(4, 4, 0, 0)
    label = QLabel(f"<b>{title}</b>")
    layout.addWidget(label)
    layout.addWidget(widget)
    return box


def _button(text: str, slot: Any) -> QToolButton:
    b = QToolButton()
    b.setText(text)
    b.clicked.connect(slot)
    return b
