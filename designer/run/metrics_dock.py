"""Metrics dock: pick nodes/runs and keys; one overlay plot (keys on a left or right-hand axis) or
one small plot per key; x axis, smoothing, log y, legend, hover read-out, export.

Layout, left to right: the Series and Keys lists, then ``sections`` (a vertical splitter) whose
first part is the tool bar, single values, plots and read-out. Another group of plots (a System
group) goes in with ``add_section``; ``KeyPlots`` and ``plot_style`` give it the same look.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from designer.bridge.run_details import child_name, split_child
from designer.run.key_list import KeyList
from designer.run.key_plots import KeyPlots
from designer.run.metrics_plot import MetricsPlot
from designer.run.metrics_toolbar import OVERLAY, PER_KEY, MetricsToolbar
from designer.run.plot_export import ExportSizeDialog, PlotCopy, render_png
from designer.run.plot_style import LEGEND_INSIDE
from designer.run.series import RECORD_INDEX, WALL_TIME, MetricSource, write_csv
from designer.run.task_ranking import TaskRanking
from designer.run.value_strip import ValueStrip

_ID = Qt.ItemDataRole.UserRole


class MetricsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sources: dict[tuple[str, str], MetricSource] = {}
        self._value_keys: set[str] = set()  # checked keys shown as values (one point each)
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
        t.export_png.connect(self._ask_png)
        t.export_csv.connect(self._ask_csv)
        self.readout = QLabel(" ", self)
        self.readout.setObjectName("metrics-readout")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.plot_widget)
        self.stack.addWidget(self.per_key)
        main = QWidget(self)
        rl = QVBoxLayout(main)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(t)
        rl.addWidget(self.values)
        rl.addWidget(self.stack, 1)
        rl.addWidget(self.readout)
        self.sections = QSplitter(Qt.Orientation.Vertical, self)
        self.sections.addWidget(main)
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
        elif self._value_keys and any(source.points(k) > 1 for k in self._value_keys):
            self._apply()  # a value printed once got company: it is a curve now

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
        self._value_keys = {k for k in keys if all(s.points(k) <= 1 for s, kk in has if kk == k)}
        values = [(k, s.label, s.latest(k)) for s, k in has if k in self._value_keys]
        self.values.set_values([(k, label, v) for k, label, v in values if v is not None])
        curves = [(s, k) for s, k in has if k not in self._value_keys]
        plotted = [k for k in keys if k not in self._value_keys]
        self.plot.color_by_series = self.task is not None
        self.per_key.configure(color_by_series=self.task is not None)
        if self.layout_mode == OVERLAY:
            self.plot.set_curves([(s, k, k in self.key_list.right_keys) for s, k in curves])
            self.per_key.set_plots([])
        else:
            self.plot.set_curves([])
            self.per_key.set_plots([(k, [c for c in curves if c[1] == k]) for k in plotted])
        self.stack.setVisible(bool(curves) or not values)

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

    # --- export ----------------------------------------------------------------------------------
    def export_png(self, path: Path, size: tuple[int, int] | None = None) -> None:
        """The plot as shown (overlay or per-key plots), ``size`` pixels (default: as on screen)."""
        shown = self.stack.currentWidget()
        width, height = size or (max(100, shown.width()), max(100, shown.height()))
        render_png(self._copy, path, width, height)

    def _copy(self) -> PlotCopy:
        """The shown plots built again, with the same curves, settings and zoom."""
        keys = self.checked_keys()
        curves = [(s, k) for k in keys for s in self.checked_sources() if k in s.columns]
        curves = [c for c in curves if c[1] not in self._value_keys]
        if self.layout_mode == PER_KEY:
            grid = KeyPlots(min_height=0)
            grid.configure(**self.per_key.options())
            grid.set_plots(
                [(k, [c for c in curves if c[1] == k]) for k in dict.fromkeys(c[1] for c in curves)]
            )
            return PlotCopy(grid, grid.refresh, grid.stop)
        widget = pg.PlotWidget()
        widget.setPalette(self.palette())
        plot = MetricsPlot(widget)
        plot.color_by_series = self.task is not None
        plot.set_x_key(self.plot.x_key)
        plot.set_log_y(self.plot.log_y)
        plot.set_smoothing(self.plot.weight)
        plot.set_legend(self.legend_mode)
        plot.set_curves([(s, k, k in self.key_list.right_keys) for s, k in curves])
        if not self.plot.item.vb.autoRangeEnabled()[0]:
            (x0, x1), (y0, y1) = self.plot.item.vb.viewRange()
            plot.item.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        return PlotCopy(widget, plot.refresh, plot.stop)

    def export_csv(self, path: Path) -> int:
        with open(path, "w", newline="", encoding="utf-8") as fh:
            return write_csv(fh, self.checked_sources(), self.checked_keys(), self.plot.x_key)

    def _ask_png(self) -> None:
        shown = self.stack.currentWidget()
        dialog = ExportSizeDialog(max(100, shown.width()), max(100, shown.height()), self)
        if not dialog.exec():
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export plot", "metrics.png", "PNG images (*.png)")
        if path:
            self.export_png(Path(path), dialog.size_chosen())

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export metrics", "metrics.csv", "CSV files (*.csv)")
        if path:
            self.export_csv(Path(path))

    def shutdown(self) -> None:
        self.plot.stop()
        self.per_key.stop()


def _titled(title: str, widget: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(4, 4, 0, 0)
    label = QLabel(f"<b>{title}</b>")
    layout.addWidget(label)
    layout.addWidget(widget)
    return box
