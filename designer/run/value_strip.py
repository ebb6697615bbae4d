"""Metrics printed once (a final ``test_accuracy``): shown as values above the plot, not as an
empty plot."""

from __future__ import annotations

import html
import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget


class ValueStrip(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("metrics-values")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setContentsMargins(8, 4, 8, 2)
        self.values: list[tuple[str, str, float]] = []
        self.hide()

    def set_values(self, values: list[tuple[str, str, float]]) -> None:
        """(key, series label, value) of each single-valued key and series."""
        self.values = values
        self.setVisible(bool(values))
        muted = self.palette().placeholderText().color().name()
        cards = [
            f"<span style='font-size:11pt'>{html.escape(key)}</span>&nbsp;"
            f"<b style='font-size:15pt'>{format_value(value)}</b>&nbsp;"
            f"<span style='color:{muted}'>{html.escape(label)}</span>"
            for key, label, value in values
        ]
        self.setText("&nbsp;&nbsp;&nbsp;&nbsp;".join(cards))

    def text_of(self) -> str:
        """What it says, as plain text (tests)."""
        return "; ".join(f"{k} = {format_value(v)} ({label})" for k, label, v in self.values)


def format_value(value: float) -> str:
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"
