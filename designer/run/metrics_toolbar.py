"""The Metrics dock's tool bar: x axis, smoothing, log y, layout (overlay or one plot per key),
legend placement, fit, export. Icons are tinted to the palette and re-tinted when it changes."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QMenu,
    QSlider,
    QToolButton,
    QWidget,
)

from designer.icons import icon
from designer.panels.flow_layout import FlowLayout, control_group
from designer.run.plot_style import LEGEND_HIDDEN, LEGEND_INSIDE, LEGEND_OUTSIDE
from designer.run.series import RECORD_INDEX, WALL_TIME

OVERLAY, PER_KEY = "Overlay", "Per key"
LEGEND_CHOICES = (
    (LEGEND_INSIDE, "Inside the plot (drag to move)"),
    (LEGEND_OUTSIDE, "Outside, right of the plot"),
    (LEGEND_HIDDEN, "Hidden"),
)


class MetricsToolbar(QWidget):
    legend_changed = Signal(str)
    export_png = Signal()
    export_csv = Signal()
    fit = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.x_combo = QComboBox(self)
        self.x_combo.setToolTip("x axis")
        self.x_combo.addItems([RECORD_INDEX, WALL_TIME])
        self.smooth_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.smooth_slider.setRange(0, 99)
        self.smooth_slider.setFixedWidth(110)
        self.smooth_slider.setToolTip("Smoothing (exponential moving average); the raw curve stays faint")
        self.smooth_label = QLabel("0.00", self)
        self.log_y = QCheckBox("Log y", self)
        self.layout_combo = QComboBox(self)
        self.layout_combo.addItems([OVERLAY, PER_KEY])
        self.layout_combo.setToolTip("Overlay every key in one plot, or one small plot per key")
        self.legend_button = self._button("Legend", "legend", "Where the legend goes")
        menu = QMenu(self.legend_button)
        group = QActionGroup(menu)
        self.legend_actions: dict[str, QAction] = {}
        for mode, text in LEGEND_CHOICES:
            action = menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(mode == LEGEND_INSIDE)
            action.triggered.connect(lambda _on=False, m=mode: self.legend_changed.emit(m))
            group.addAction(action)
            self.legend_actions[mode] = action
        self.legend_button.setMenu(menu)
        self.legend_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.fit_button = self._button("Fit", "zoom-fit", "Show all of every curve (after zooming)")
        self.fit_button.clicked.connect(self.fit)
        self.export_button = self._button("Export", "export-image", "Export the plot or its data")
        export = QMenu(self.export_button)
        export.addAction("PNG image…").triggered.connect(self.export_png)
        export.addAction("CSV data…").triggered.connect(self.export_csv)
        self.export_button.setMenu(export)
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        bar = FlowLayout(self, spacing=14)  # wraps in a narrow dock instead of widening the window
        bar.setContentsMargins(6, 4, 6, 0)
        for group in (
            (QLabel("x:", self), self.x_combo),
            (QLabel("Smoothing:", self), self.smooth_slider, self.smooth_label),
            (self.log_y,),
            (QLabel("Layout:", self), self.layout_combo),
            (self.legend_button, self.fit_button, self.export_button),
        ):
            bar.addWidget(control_group(self, *group))

    def _button(self, text: str, icon_name: str, tip: str) -> QToolButton:
        b = QToolButton(self)
        b.setText(text)
        b.setToolTip(tip)
        b.setProperty("icon_name", icon_name)
        b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        b.setIcon(icon(icon_name))
        return b

    def retint(self) -> None:
        """The palette changed: icons in its text colour again."""
        for b in (self.legend_button, self.fit_button, self.export_button):
            b.setIcon(icon(str(b.property("icon_name"))))

    def set_legend_mode(self, mode: str) -> None:
        self.legend_actions[mode].setChecked(True)
