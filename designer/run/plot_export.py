"""Export the Metrics dock's plot as a PNG of a chosen size (the size dialog, and a fresh copy of
the plots laid out at that size: text stays its size, the curves get the new width's detail), or
its points as CSV."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QSpinBox,
    QWidget,
)

from designer.run.key_plots import KeyPlots
from designer.run.metrics_plot import MetricsPlot
from designer.run.metrics_toolbar import PER_KEY

MAX_SIDE = 8000


class ExportSizeDialog(QDialog):
    """Width and height in pixels (the plot's size on screen to start with)."""

    def __init__(self, width: int, height: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export plot as PNG")
        form = QFormLayout(self)
        self.width_box, self.height_box = QSpinBox(self), QSpinBox(self)
        for box, value in ((self.width_box, width), (self.height_box, height)):
            box.setRange(100, MAX_SIDE)
            box.setSuffix(" px")
            box.setValue(value)
        form.addRow("Width:", self.width_box)
        form.addRow("Height:", self.height_box)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def size_chosen(self) -> tuple[int, int]:
        return self.width_box.value(), self.height_box.value()


@dataclass
class PlotCopy:
    """A plot built again to be rendered: its widget, how to draw its curves now, how to stop it."""

    widget: QWidget
    refresh: Callable[[], None]
    stop: Callable[[], None]


def render_png(make: Callable[[], PlotCopy], path: Path, width: int, height: int) -> None:
    """Lay ``make()``'s copy out at ``width`` x ``height`` off screen, draw it, save it to ``path``
    and throw it away."""
    copy = make()
    widget = copy.widget
    widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    widget.resize(width, height)
    widget.show()
    try:
        for _ in range(2):  # the layout first, then the curves' envelopes at their final width
            QApplication.processEvents()
            copy.refresh()
        image = QImage(width, height, QImage.Format.Format_ARGB32)
        image.fill(widget.palette().base().color())
        QWidget.render(widget, image)  # the widget's own, not QGraphicsView's scene render
        if not image.save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
    finally:
        copy.stop()
        widget.close()
        widget.deleteLater()


def copy_of(panel: Any) -> PlotCopy:
    """The Metrics dock's shown plots built again: the same curves, settings and zoom."""
    keys = panel.checked_keys()
    curves = [(s, k) for k in keys for s in panel.checked_sources() if k in s.columns]
    curves = [c for c in curves if c[1] not in panel.value_keys]
    if panel.layout_mode == PER_KEY:
        grid = KeyPlots(min_height=0)
        grid.configure(**panel.per_key.options())
        grid.set_plots([(k, [c for c in curves if c[1] == k]) for k in dict.fromkeys(c[1] for c in curves)])
        return PlotCopy(grid, grid.refresh, grid.stop)
    widget = pg.PlotWidget()
    widget.setPalette(panel.palette())
    plot = MetricsPlot(widget)
    shown: MetricsPlot = panel.plot
    plot.color_by_series = shown.color_by_series
    plot.set_x_key(shown.x_key)
    plot.set_log_y(shown.log_y)
    plot.set_smoothing(shown.weight)
    plot.set_legend(shown.legend_mode)
    plot.set_curves([(s, k, k in panel.key_list.right_keys) for s, k in curves])
    if not shown.item.vb.autoRangeEnabled()[0]:
        (x0, x1), (y0, y1) = shown.item.vb.viewRange()
        plot.item.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
    return PlotCopy(widget, plot.refresh, plot.stop)


def ask_png(panel: Any) -> None:
    """Ask a size, then a file, and export the shown plots there."""
    shown = panel.stack.currentWidget()
    dialog = ExportSizeDialog(max(100, shown.width()), max(100, shown.height()), panel)
    if not dialog.exec():
        return
    path, _ = QFileDialog.getSaveFileName(panel, "Export plot", "metrics.png", "PNG images (*.png)")
    if path:
        panel.export_png(Path(path), dialog.size_chosen())


def ask_csv(panel: Any) -> None:
    path, _ = QFileDialog.getSaveFileName(panel, "Export metrics", "metrics.csv", "CSV files (*.csv)")
    if path:
        panel.export_csv(Path(path))
