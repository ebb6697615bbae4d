"""The problems dock: lint diagnostics; activating one selects its node and YAML line."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from designer.icons import icon
from designer.problem_paths import describe_path

DIAG_ROLE = Qt.ItemDataRole.UserRole
_ORDER = {"error": 0, "warning": 1, "hint": 2}


class ProblemsPanel(QWidget):
    # A diagnostic was activated (clicked / Enter)
    diagnostic_activated = Signal(object)
    # The counts changed: (errors, warnings)
    counts_changed = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget(self)
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setHeaderLabels(["Message", "Where", "Line"])
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.tree.itemClicked.connect(lambda it, _c: self.diagnostic_activated.emit(it.data(0, DIAG_ROLE)))
        self.tree.itemActivated.connect(lambda it, _c: self.diagnostic_activated.emit(it.data(0, DIAG_ROLE)))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        self.diagnostics: list[Any] = []

    def set_diagnostics(self, diagnostics: list[Any], data: Any = None) -> None:
        self.diagnostics = sorted(diagnostics, key=lambda d: (_ORDER.get(d.severity, 3), d.line or 0))
        self.tree.clear()
        for d in self.diagnostics:
            text = d.message + (f" — {d.hint}" if getattr(d, "hint", "") else "")
            where = describe_path(data, tuple(getattr(d, "path", None) or ()))
            item = QTreeWidgetItem([text, where, str(d.line) if d.line else ""])
            item.setIcon(0, icon(f"severity-{d.severity}" if d.severity in _ORDER else "severity-hint"))
            item.setToolTip(0, text)
            item.setData(0, DIAG_ROLE, d)
            self.tree.addTopLevelItem(item)
        if not self.diagnostics:
            item = QTreeWidgetItem(["No problems found"])
            item.setIcon(0, icon("severity-ok"))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.tree.addTopLevelItem(item)
        errors = sum(1 for d in self.diagnostics if d.severity == "error")
        warnings = sum(1 for d in self.diagnostics if d.severity == "warning")
        self.counts_changed.emit(errors, warnings)
