"""Run pipeline dialog: pipeline parameters and target, remembering the last choice (QSettings)."""

from __future__ import annotations

import json
from typing import Any

import yaml
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

TARGETS = ["local"]  # remote hosts come with the hosts registry (runner.hosts)


def parse_value(text: str) -> Any:
    """``0.1`` -> 0.1, ``true`` -> True, ``[1, 2]`` -> list, anything else stays text."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


class RunDialog(QDialog):
    def __init__(
        self,
        pipeline: str,
        parameters: list[tuple[str, Any]],
        settings: QSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Run pipeline {pipeline}")
        self.pipeline = pipeline
        self.settings = settings
        self.defaults = dict(parameters)
        saved = self._saved()
        form = QFormLayout()
        self.edits: dict[str, QLineEdit] = {}
        for name, default in parameters:
            edit = QLineEdit(self)
            edit.setPlaceholderText("" if default is None else str(default))
            if name in saved:
                edit.setText(str(saved[name]))
            self.edits[name] = edit
            form.addRow(name, edit)
        if not parameters:
            form.addRow(QLabel("This pipeline has no parameters.", self))
        self.target = QComboBox(self)
        self.target.addItems(TARGETS)
        last = str(settings.value("run/target", "local"))
        self.target.setCurrentText(last if last in TARGETS else "local")
        form.addRow("Target", self.target)
        self.reuse = QCheckBox("Reuse unchanged executions", self)
        self.reuse.setChecked(str(settings.value("run/reuse", "true")).lower() == "true")
        form.addRow("", self.reuse)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Run")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _saved(self) -> dict[str, Any]:
        try:
            data = json.loads(str(self.settings.value(f"run/params/{self.pipeline}", "{}")))
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def params(self) -> dict[str, Any]:
        """Only the parameters the user filled in (the rest keep their defaults)."""
        return {n: parse_value(e.text()) for n, e in self.edits.items() if e.text().strip()}

    def accept(self) -> None:
        texts = {n: e.text() for n, e in self.edits.items() if e.text().strip()}
        self.settings.setValue(f"run/params/{self.pipeline}", json.dumps(texts))
        self.settings.setValue("run/target", self.target.currentText())
        self.settings.setValue("run/reuse", "true" if self.reuse.isChecked() else "false")
        self.settings.sync()
        super().accept()
