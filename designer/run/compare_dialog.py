"""Two runs side by side: the parameters that differ (the metric curves go to the metrics dock)."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def _show(value: Any) -> str:
    return "—" if value is None else json.dumps(value) if not isinstance(value, str) else value


class CompareDialog(QDialog):
    def __init__(
        self, a: str, b: str, diff: list[tuple[str, str, Any, Any]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Compare runs {a} and {b}")
        self.diff = diff
        self.table = QTableWidget(len(diff), 4, self)
        self.table.setHorizontalHeaderLabels(["Node", "Parameter", a, b])
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setAlternatingRowColors(True)
        for i, (node, key, va, vb) in enumerate(diff):
            for j, text in enumerate((node, key, _show(va), _show(vb))):
                self.table.setItem(i, j, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        note = "Parameters that differ" if diff else "Both runs used the same parameters."
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(f"<b>{note}</b> — metric curves of both runs are overlaid in the Metrics dock.")
        )
        layout.addWidget(self.table)
        self.resize(720, 260)
