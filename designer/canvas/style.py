"""Colours, fonts and metrics of the canvas, for the light and the dark palette."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QGuiApplication, QPalette

NODE_WIDTH = 232.0
HEADER_HEIGHT = 52.0
ROW_HEIGHT = 20.0
PORT_RADIUS = 5.0
GRID = 20.0

# Port colours by type; the same in both palettes so a user learns them once.
PORT_COLORS = {
    "input": "#3d8bd9",
    "output": "#e08a1e",
    "parameter": "#8a63d2",
    "metadata": "#2aa198",
    "file": "#4caf50",
}
TYPE_COLORS = {"execution": "#3d8bd9", "task": "#8a63d2", "deployment": "#3aa564"}


@dataclass(frozen=True)
class CanvasTheme:
    background: QColor
    grid_minor: QColor
    grid_major: QColor
    node_fill: QColor
    node_border: QColor
    node_text: QColor
    node_subtext: QColor
    selection: QColor
    edge: QColor
    edge_hover: QColor
    error: QColor
    highlight: QColor


def _theme(dark: bool) -> CanvasTheme:
    if dark:
        return CanvasTheme(
            background=QColor("#1f2124"),
            grid_minor=QColor("#26292d"),
            grid_major=QColor("#2e3237"),
            node_fill=QColor("#2d3035"),
            node_border=QColor("#454a51"),
            node_text=QColor("#e8eaed"),
            node_subtext=QColor("#9aa0a6"),
            selection=QColor("#4f9cf0"),
            edge=QColor("#8c939b"),
            edge_hover=QColor("#c8ccd1"),
            error=QColor("#e5534b"),
            highlight=QColor("#57c26a"),
        )
    return CanvasTheme(
        background=QColor("#f5f6f8"),
        grid_minor=QColor("#eceef1"),
        grid_major=QColor("#e1e4e8"),
        node_fill=QColor("#ffffff"),
        node_border=QColor("#c9ced6"),
        node_text=QColor("#1f2328"),
        node_subtext=QColor("#656d76"),
        selection=QColor("#2f7fe0"),
        edge=QColor("#7d8590"),
        edge_hover=QColor("#1f2328"),
        error=QColor("#cf222e"),
        highlight=QColor("#1a7f37"),
    )


def is_dark() -> bool:
    app = QGuiApplication.instance()
    if app is None:
        return False
    window = QGuiApplication.palette().color(QPalette.ColorRole.Window)
    return window.lightness() < 128


_current: CanvasTheme | None = None


def theme() -> CanvasTheme:
    """The canvas theme matching the application palette (recomputed by ``refresh_theme``)."""
    global _current
    if _current is None:
        _current = _theme(is_dark())
    return _current


def refresh_theme() -> CanvasTheme:
    global _current
    _current = _theme(is_dark())
    return _current


# Run states of a node, shared by the canvas outline and the run badges (always with an
# icon or a word next to the colour, never colour alone).
STATUS_COLORS = {
    "queued": "#6e7781",
    "running": "#2f7fe0",
    "succeeded": "#1a7f37",
    "failed": "#cf222e",
    "skipped": "#9a6700",
    "reused": "#1b7c83",
    "cancelled": "#bc4c00",
    "interrupted": "#8250df",
    "awaiting-approval": "#bf8700",  # amber: waits for a person, not for the machine
    "stopped": "#57606a",  # a run ended by a stop-pipeline action (not a failure)
}
AWAITING_FILL = "#fff4d6"  # the card of a node awaiting approval (light palette)
AWAITING_FILL_DARK = "#3d3214"
LINK_COLOR = "#0969da"  # an endpoint URL on the canvas
LINK_COLOR_DARK = "#58a6ff"
