"""Run pipeline dialog: pipeline parameters and target, remembering the last choice (QSettings).

The target is ``local``, one registered host, or a pool of them; it is saved as ``run/target``
(``local``, ``NAME`` or ``NAME1,NAME2``, as ``pipeline-designer run --host`` takes it) and every
run command of the designer uses the last one chosen.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

LOCAL = "local"
POOL = "Several hosts (pool)…"


def registered_hosts() -> list[str]:
    """Names in the host registry (an unreadable registry offers no remote hosts)."""
    from runner.api import HostConfigError, HostRegistry

    try:
        return sorted(HostRegistry().load())
    except HostConfigError:
        return []


def default_target() -> str:
    """The default run target of Preferences (the runner's saved settings); local if unreadable."""
    from runner.api import SettingsError, load_settings

    try:
        return load_settings().run_target
    except SettingsError:
        return LOCAL


def target_hosts(text: str, known: list[str] | None = None) -> list[str]:
    """A saved target (``local``, ``NAME`` or ``NAME1,NAME2``) -> the ``hosts`` of ``start_run``.

    With ``known``, names no longer registered are dropped (``local`` when none is left).
    """
    names = [n.strip() for n in text.split(",") if n.strip()]
    if known is not None:
        names = [n for n in names if n == LOCAL or n in known]
    return names or [LOCAL]


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
        hosts: list[str] | None = None,
        notes: dict[str, str] | None = None,
    ) -> None:
        """``notes``: a pipeline parameter's description and where it goes, shown as its tooltip."""
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
            edit.setToolTip((notes or {}).get(name, ""))
            self.edits[name] = edit
            form.addRow(name, edit)
        if not parameters:
            form.addRow(QLabel("This pipeline has no parameters.", self))
        self.hosts = registered_hosts() if hosts is None else list(hosts)
        chosen = target_hosts(str(settings.value("run/target", default_target())), self.hosts)
        self.target = QComboBox(self)
        self.target.addItems([LOCAL, *self.hosts])
        if self.hosts:
            self.target.addItem(POOL)
        # The pool: check the hosts (and local) the run may use.
        self.pool = QListWidget(self)
        for name in [LOCAL, *self.hosts]:
            item = QListWidgetItem(name, self.pool)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
        self.pool.setMaximumHeight(110)
        self.target.setCurrentText(chosen[0] if len(chosen) == 1 else POOL)
        self.target.currentTextChanged.connect(lambda _t: self._show_pool())
        form.addRow("Target", self.target)
        form.addRow("", self.pool)
        self._show_pool()
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

    def _show_pool(self) -> None:
        self.pool.setVisible(self.target.currentText() == POOL)

    def chosen_hosts(self) -> list[str]:
        """``["local"]``, ``[NAME]`` or the checked pool (what ``start_run(hosts=…)`` takes)."""
        if self.target.currentText() != POOL:
            return [self.target.currentText()]
        checked = [
            self.pool.item(i).text()
            for i in range(self.pool.count())
            if self.pool.item(i).checkState() == Qt.CheckState.Checked
        ]
        return checked or [LOCAL]

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
        self.settings.setValue("run/target", ",".join(self.chosen_hosts()))
        self.settings.setValue("run/reuse", "true" if self.reuse.isChecked() else "false")
        self.settings.sync()
        super().accept()
