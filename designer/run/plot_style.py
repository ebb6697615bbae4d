"""How metric plots look: a stable colour per key, a line style per series, the palette's colours
(light or dark) on background, axes, grid and legend, and where the legend goes.

Shared by every plot of the Metrics dock (the overlay, the per-key plots, a System group's plots).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

# Eleven colours that read on white and on the dark theme's #1e1f22, in an order that gives the
# usual keys distinct ones (accuracy blue, loss orange, lr purple, val_loss green, …).
PALETTE = [
    "#2f7fe0",  # blue
    "#8a63d2",  # purple
    "#2ea043",  # green
    "#d4a72c",  # ochre
    "#e0762f",  # orange
    "#1b9aaa",  # teal
    "#c93c9a",  # magenta
    "#7a9a22",  # olive
    "#cf222e",  # red
    "#b3672e",  # brown
    "#7d8590",  # grey
]
DASHES = [
    Qt.PenStyle.SolidLine,
    Qt.PenStyle.DashLine,
    Qt.PenStyle.DotLine,
    Qt.PenStyle.DashDotLine,
    Qt.PenStyle.DashDotDotLine,
]
LEGEND_INSIDE, LEGEND_OUTSIDE, LEGEND_HIDDEN = "inside", "outside", "hidden"


def key_color(key: str) -> str:
    """The key's own colour: from its name, so ``accuracy`` is the same colour in every run."""
    return PALETTE[zlib.crc32(key.encode("utf-8")) % len(PALETTE)]


def key_colors(keys: Iterable[str]) -> dict[str, str]:
    """Colours of keys shown together: each its own colour unless another key (earlier in
    name order) has it already, then the next free one, so the same keys always look the same."""
    out: dict[str, str] = {}
    for key in sorted(set(keys)):
        start = PALETTE.index(key_color(key))
        used = set(out.values())
        free = [PALETTE[(start + i) % len(PALETTE)] for i in range(len(PALETTE))]
        out[key] = next((c for c in free if c not in used), free[0])
    return out


def series_color(number: int) -> str:
    """Colour of the ``number``-th series (a task's execution k: ``number`` k)."""
    return PALETTE[number % len(PALETTE)]


def dash(number: int) -> Qt.PenStyle:
    return DASHES[number % len(DASHES)]


@dataclass(frozen=True)
class PlotColors:
    background: QColor
    axis: QColor
    text: QColor
    grid_major: QColor
    grid_minor: QColor
    legend_fill: QColor
    legend_edge: QColor
    legend_text: QColor


def plot_colors(palette: QPalette) -> PlotColors:
    """The plot's colours in this palette (Base as background, Text blended over it)."""
    background = palette.color(QPalette.ColorRole.Base)
    ink = palette.color(QPalette.ColorRole.Text)
    fill = QColor(background)
    fill.setAlpha(215)
    return PlotColors(
        background=background,
        axis=blend(ink, background, 0.35),
        text=blend(ink, background, 0.75),
        grid_major=blend(ink, background, 0.14),
        grid_minor=blend(ink, background, 0.06),
        legend_fill=fill,
        legend_edge=blend(ink, background, 0.2),
        legend_text=blend(ink, background, 0.85),
    )


def style_axes(item: pg.PlotItem, colors: PlotColors) -> None:
    for name in ("left", "bottom", "right", "top"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(colors.axis))
        axis.setTextPen(pg.mkPen(colors.text))
        if axis.label is not None:
            axis.labelStyle = {"color": colors.text.name()}
            axis._updateLabel()
    item.titleLabel.setText(item.titleLabel.text, color=colors.text.name())


def style_legend(legend: pg.LegendItem, colors: PlotColors) -> None:
    legend.setBrush(pg.mkBrush(colors.legend_fill))
    legend.setPen(pg.mkPen(colors.legend_edge))
    legend.setLabelTextColor(colors.legend_text)
    for _sample, label in legend.items:
        label.setText(label.text, color=colors.legend_text.name())


def blend(color: QColor, background: QColor, amount: float) -> QColor:
    """``amount`` of ``color`` over ``background``, opaque."""
    mix = [
        amount * a + (1 - amount) * b
        for a, b in zip(color.getRgbF()[:3], background.getRgbF()[:3], strict=True)
    ]
    return QColor.fromRgbF(*mix)
