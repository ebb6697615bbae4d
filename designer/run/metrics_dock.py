"""Metrics dock: pick nodes/runs and keys; one overlay plot (keys on a left or right-hand axis) or
one small plot per key; x axis, smoothing, log y, legend, hover read-out, export.

Layout, left to right: the Series and Keys lists, then ``sections`` (a vertical splitter) whose
first part is the tool bar, single values, plots and read-out, and below it the checked nodes'
system metrics (designer.run.system_group). Another group of plots goes in with ``add_section``;
``KeyPlots`` and ``plot_style`` give it the same look.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from designer.run.key_list import KeyList
from designer.run.key_plots import KeyPlots
from designer.run.metrics_plot import MetricsPlot
from designer.run.metrics_toolbar import OVERLAY, MetricsToolbar
from designer.run.plot_export import ask_csv, ask_png, copy_of, render_png
from designer.run.plot_style import LEGEND_INSIDE
from designer.run.series import RECORD_INDEX, WALL_TIME, MetricSource, write_csv
from designer.run.system_group import SystemGroup
from designer.run.task_ranking import TaskRanking
from designer.run.value_strip import ValueStrip
from runner.api import split_unit as split_child
from runner.api import unit_name as child_name

_ID = Qt.ItemDataRole.UserRole


class MetricsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sources: dict[tuple[str, str], MetricSource] = {}
        self.value_keys: set[str] = set()  # checked keys shown as values (one point each)
        # A task execution's title, "#3 lr=0.1 depth=3", from (run, node, child) (the run UI sets it)
        self.label_for: Callable[[str, str, int], str] = lambda _r, _n, k: f"#{k}"
        self.task: tuple[str, str] | None = None  # the (run, task node) overlaid and ranked
        self.layout_mode = OVERLAY
        self.legend_mode = LEGEND_INSIDE
        self.toolbar = MetricsToolbar(self)
        t = self.toolbar
        self.x_combo, self.smooth_slider, self.smooth_label, self.log_y = (
            t.x_combo,
            t.smooth_slider,
            t.smooth_label,
            t.log_y,
        )
        self.plot_widget = pg.PlotWidget()
        self.plot = MetricsPlot(self.plot_widget, self)
        self.per_key = KeyPlots(self)
        self.values = ValueStrip(self)
        self.system = SystemGroup(self)  # CPU, memory, GPUs of the checked nodes
        self._build()
        self.plot.hover_changed.connect(self.readout.setText)

    def _build(self) -> None:
        self.source_list = QListWidget(self)
        self.source_list.setToolTip("Nodes and runs to plot; check several to overlay them")
        self.source_list.itemChanged.connect(self._on_source_changed)
        self.key_list = KeyList(self)
        self.key_list.changed.connect(self._apply)
        side = QSplitter(Qt.Orientation.Vertical, self)
        side.addWidget(_titled("Series", self.source_list))
        side.addWidget(_titled("Keys", self.key_list))
        t = self.toolbar
        t.x_combo.currentTextChanged.connect(self._on_x_key)
        t.smooth_slider.valueChanged.connect(self._on_smoothing)
        t.log_y.toggled.connect(self._on_log_y)
        t.layout_combo.currentTextChanged.connect(self.set_layout)
        t.legend_changed.connect(self.set_legend)
        t.fit.connect(self.fit)
        t.export_png.connect(lambda: ask_png(self))
        t.export_csv.connect(lambda: ask_csv(self))
        self.readout = QLabel(" ", self)
        self.readout.setObjectName("metrics-readout")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.plot_widget)
        self.stack.addWidget(self.per_key)
        self.stack.setMinimumHeight(150)  # readable axes even when the dock is short
        main = QWidget(self)
        rl = QVBoxLayout(main)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(t)
        rl.addWidget(self.values)
        rl.addWidget(self.stack, 1)
        rl.addWidget(self.readout)
        self.sections = QSplitter(Qt.Orientation.Vertical, self)
        self.sections.addWidget(main)
        self.add_section(self.system)
        self.sections.setStretchFactor(0, 3)
        self.sections.setStretchFactor(1, 1)
        self.ranking = TaskRanking(self)
        self.ranking.metric_changed.connect(self._on_task_metric)
        self.ranking.hide()
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(side)
        split.addWidget(self.sections)
        split.addWidget(self.ranking)
        split.setStretchFactor(1, 1)
        split.setCollapsible(0, False)
        side.setMinimumWidth(190)
        split.setSizes([190, 640, 520])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self.apply_palette()

    def add_section(self, widget: QWidget) -> None:
        """Another group of plots below the metrics (a System group), in the same splitter."""
        self.sections.addWidget(widget)

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
        self._load(run_id, node, lambda source: source.add_records(records), checked)

    def load_stored(self, run_id: str, node: str, stored: Any, checked: bool = True) -> None:
        """A past execution's series as the store's per-key index holds them (no JSON decoded)."""
        self._load(run_id, node, lambda source: source.add_stored(stored), checked)

    def _load(self, run_id: str, node: str, fill: Callable[[MetricSource], None], checked: bool) -> None:
        source = self.sources.get((run_id, node))
        new = source is None
        if source is None:
            source = self.sources[(run_id, node)] = MetricSource(run_id, node)
            base, child = split_child(node)
            if child is not None:
                source.title = self.label_for(run_id, base, child)
        before = set(source.columns)
        fill(source)
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
        elif self.value_keys and any(source.points(k) > 1 for k in self.value_keys):
            self._apply()  # a value printed once got company: it is a curve now

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
        self.system.clear()
        self._apply()

    # --- selection -----------------------------------------------------------------------------
    def checked_sources(self) -> list[MetricSource]:
        out = []
        for i in range(self.source_list.count()):
            item = self.source_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(self.sources[tuple(item.data(_ID))])
        return out

    def checked_keys(self) -> list[str]:
        return self.key_list.checked_keys()

    def set_keys(self, keys: list[str]) -> None:
        self.key_list.set_keys(keys)
        self._apply()

    def set_right_axis(self, key: str, on: bool) -> None:
        """Put ``key`` on the overlay's right-hand axis (its own y scale), or back on the left."""
        self.key_list.set_right_axis(key, on)

    def _sync_keys(self) -> None:
        """The key list offers the keys of the checked series (all series when none is checked)."""
        shown = self.checked_sources() or list(self.sources.values())
        keys = sorted({k for s in shown for k in s.columns})
        self.key_list.sync(keys)
        current = self.x_combo.currentText()
        axis = [RECORD_INDEX, WALL_TIME, *keys]
        if [self.x_combo.itemText(i) for i in range(self.x_combo.count())] != axis:
            self.x_combo.blockSignals(True)
            self.x_combo.clear()
            self.x_combo.addItems(axis)
            self.x_combo.setCurrentText(current if current in axis else RECORD_INDEX)
            self.x_combo.blockSignals(False)
        if self.x_combo.currentText() != self.plot.x_key:  # the axis label says what the selector says
            self._on_x_key(self.x_combo.currentText())

    def _on_source_changed(self, _item: QListWidgetItem) -> None:
        self._sync_keys()
        self._apply()

    def _apply(self) -> None:
        """Curves for the checked keys of the checked series; a key with one value in every
        series it is in is shown as that value."""
        keys, sources = self.checked_keys(), self.checked_sources()
        has = [(s, k) for k in keys for s in sources if k in s.columns]
        self.value_keys = {k for k in keys if all(s.points(k) <= 1 for s, kk in has if kk == k)}
        values = [(k, s.label, s.latest(k)) for s, k in has if k in self.value_keys]
        self.values.set_values([(k, label, v) for k, label, v in values if v is not None])
        curves = [(s, k) for s, k in has if k not in self.value_keys]
        plotted = [k for k in keys if k not in self.value_keys]
        self.plot.color_by_series = self.task is not None
        self.per_key.configure(color_by_series=self.task is not None)
        if self.layout_mode == OVERLAY:
            self.plot.set_curves([(s, k, k in self.key_list.right_keys) for s, k in curves])
            self.per_key.set_plots([])
        else:
            self.plot.set_curves([])
            self.per_key.set_plots([(k, [c for c in curves if c[1] == k]) for k in plotted])
        self.stack.setVisible(bool(curves) or not values)
        self._show_system()

    def _show_system(self) -> None:
        """The System group shows the checked nodes, from the origin of their wall-time axis."""
        shown = self.checked_sources()
        pairs = [(s.run_id, s.node) for s in shown]
        origins = {(s.run_id, s.node): _first_time(s) for s in shown}
        self.system.show_nodes(pairs, origins, {(s.run_id, s.node): s.label for s in shown})

    # --- how it is drawn ---------------------------------------------------------------------------
    def set_layout(self, mode: str) -> None:
        """``Overlay`` (one plot) or ``Per key`` (one small plot per key)."""
        self.layout_mode = mode
        self.toolbar.layout_combo.setCurrentText(mode)
        self.stack.setCurrentWidget(self.plot_widget if mode == OVERLAY else self.per_key)
        self._apply()

    def set_legend(self, mode: str) -> None:
        self.legend_mode = mode
        self.toolbar.set_legend_mode(mode)
        self.plot.set_legend(mode)
        self.per_key.configure(legend=mode)

    def fit(self) -> None:
        self.plot.fit()
        self.per_key.fit()

    def _on_x_key(self, key: str) -> None:
        self.plot.set_x_key(key)
        self.per_key.configure(x_key=key)
        self.system.follow_x(self.plot.item.vb if key == WALL_TIME else None)

    def _on_smoothing(self, value: int) -> None:
        self.smooth_label.setText(f"{value / 100:.2f}")
        self.plot.set_smoothing(value / 100)
        self.per_key.configure(weight=value / 100)

    def _on_log_y(self, on: bool) -> None:
        self.plot.set_log_y(on)
        self.per_key.configure(log_y=on)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.apply_palette()

    def apply_palette(self) -> None:
        """Light or dark: the plots, the values and the tool bar's icons follow the palette."""
        palette = self.palette()
        self.plot.apply_palette(palette)
        self.per_key.apply_palette(palette)
        self.toolbar.retint()
        self.values.set_values(self.values.values)

    # --- export (designer.run.plot_export) -------------------------------------------------------
    def export_png(self, path: Path, size: tuple[int, int] | None = None) -> None:
        """The plot as shown (overlay or per-key plots), ``size`` pixels (default: as on screen)."""
        shown = self.stack.currentWidget()
        width, height = size or (max(100, shown.width()), max(100, shown.height()))
        render_png(lambda: copy_of(self), path, width, height)

    def export_csv(self, path: Path) -> int:
        with open(path, "w", newline="", encoding="utf-8") as fh:
            return write_csv(fh, self.checked_sources(), self.checked_keys(), self.plot.x_key)

    def shutdown(self) -> None:
        self.plot.stop()
        self.per_key.stop()
        self.system.stop()


def _titled(title: str, widget: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(4, 4, 0, 0)
    label = QLabel(f"<b>{title}</b>")
    layout.addWidget(label)
    layout.addWidget(widget)
    return box


def _first_time(source: MetricSource) -> float | None:
    """The origin of the source's wall-time axis (None: it has no timed record yet)."""
    times = source.time.view()
    return float(times[0]) if len(times) and math.isfinite(times[0]) else None
