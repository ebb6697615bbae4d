"""Add or edit one re-training trigger of the open file: its pipeline, when it fires (files
change, an interval, a cron schedule), parameters; a live preview of the next run."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from runner.api import Trigger, TriggerError, stored_path

KINDS = [("on_change", "When files change"), ("every", "At an interval"), ("cron", "On a cron schedule")]
ERROR_STYLE = "color: #c0392b"


def next_run_text(trigger: Trigger, now: float | None = None) -> str:
    fire = trigger.next_fire(time.time() if now is None else now)
    if fire is not None:  # cron fires on whole minutes; the weekday helps with weekday schedules
        return time.strftime("%a %Y-%m-%d %H:%M %Z", time.localtime(fire))
    return "on the next change" if trigger.kind == "on_change" else "one interval after the watch starts"


class TriggerForm(QDialog):
    """Add or edit one trigger; builds a checked ``Trigger`` (errors shown, the form stays open)."""

    def __init__(
        self,
        yaml_path: Path,
        pipelines: list[str],
        trigger: Trigger | None = None,
        pipeline: str | None = None,
        taken: set[str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit trigger" if trigger else "Add trigger")
        self.yaml_path, self.taken = yaml_path, (taken or set()) - ({trigger.name} if trigger else set())
        self.trigger: Trigger | None = None
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("e.g. nightly")
        self.pipeline = QComboBox(self)
        self.pipeline.addItems(pipelines)
        self.kind = QComboBox(self)
        for key, label in KINDS:
            self.kind.addItem(label, key)
        self.paths = QPlainTextEdit(self)
        self.paths.setPlaceholderText("one file or folder a line, relative to the YAML's folder, e.g. data/")
        self.paths.setFixedHeight(64)
        browse = QPushButton("Add folder…", self)
        browse.clicked.connect(self._browse)
        self.every = QLineEdit(self)
        self.every.setPlaceholderText("90s, 30m, 1h, 1d or 1h30m")
        self.cron = QLineEdit(self)
        self.cron.setPlaceholderText("minute hour day-of-month month day-of-week, e.g. 0 3 * * *")
        self.params = QPlainTextEdit(self)
        self.params.setPlaceholderText("optional: NODE.PARAM=VALUE, one a line")
        self.params.setFixedHeight(52)
        browse_row = QHBoxLayout()
        browse_row.addStretch(1)
        browse_row.addWidget(browse)
        paths_row = QVBoxLayout()
        paths_row.addWidget(self.paths)
        paths_row.addLayout(browse_row)
        self.form = QFormLayout()
        self.form.addRow("Name", self.name)
        self.form.addRow("Pipeline", self.pipeline)
        self.form.addRow("Run", self.kind)
        self.form.addRow("Paths", paths_row)
        self.form.addRow("Every", self.every)
        self.form.addRow("Cron", self.cron)
        self.form.addRow("Parameters", self.params)
        self.preview = QLabel(self)
        self.preview.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.preview)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._fill(trigger, pipeline)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        for edit in (self.every, self.cron):
            edit.textChanged.connect(self._update_preview)
        self._kind_changed()
        self.resize(520, self.sizeHint().height())

    def _fill(self, trigger: Trigger | None, pipeline: str | None) -> None:
        if trigger is None:
            if pipeline is not None:
                self.pipeline.setCurrentText(pipeline)
            self.every.setText("1h")
            self.cron.setText("0 3 * * *")
            return
        self.name.setText(trigger.name)
        if self.pipeline.findText(trigger.pipeline) < 0:
            self.pipeline.addItem(trigger.pipeline)  # a pipeline since renamed: kept visible
        self.pipeline.setCurrentText(trigger.pipeline)
        self.kind.setCurrentIndex([k for k, _ in KINDS].index(trigger.kind))
        self.paths.setPlainText("\n".join(trigger.paths))
        self.every.setText(trigger.every or "1h")
        self.cron.setText(trigger.cron or "0 3 * * *")
        self.params.setPlainText("\n".join(f"{k}={v}" for k, v in trigger.params.items()))

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.form.setRowVisible(3, kind == "on_change")
        self.form.setRowVisible(4, kind == "every")
        self.form.setRowVisible(5, kind == "cron")
        self._update_preview()
        self.resize(self.width(), self.sizeHint().height())  # no gaps where hidden rows were

    def _update_preview(self) -> None:
        try:
            trigger = self._build(name="preview", check_name=False)
        except (TriggerError, ValueError) as exc:
            self.preview.setText("")
            self.error.setText(str(exc) if self.kind.currentData() != "on_change" else "")
            return
        self.error.setText("")
        self.preview.setText(f"{trigger.describe()} — next run: {next_run_text(trigger)}")

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Watch folder", str(self.yaml_path.parent))
        if path:
            self.paths.appendPlainText(stored_path(path, self.yaml_path))

    def _build(self, name: str | None = None, check_name: bool = True) -> Trigger:
        name = self.name.text().strip() if name is None else name
        if check_name and name in self.taken:
            raise TriggerError(f"a trigger named {name!r} already exists; pick another name")
        folder = self.yaml_path.parent
        paths = [line.strip() for line in self.paths.toPlainText().splitlines() if line.strip()]
        params: dict[str, str] = {}
        for line in self.params.toPlainText().splitlines():
            if line.strip():
                key, eq, value = line.strip().partition("=")
                if not eq or not key:
                    raise TriggerError(f"parameter {line.strip()!r} is not NODE.PARAM=VALUE")
                params[key.strip()] = value.strip()
        kind = str(self.kind.currentData())
        return Trigger(
            name=name,
            pipeline=self.pipeline.currentText(),
            kind=kind,
            paths=tuple(stored_path(folder / p, self.yaml_path) for p in paths)
            if kind == "on_change"
            else (),
            every=self.every.text().strip() if kind == "every" else "",
            cron=self.cron.text().strip() if kind == "cron" else "",
            params=params,
        )

    def accept(self) -> None:
        try:
            self.trigger = self._build()
        except (TriggerError, ValueError) as exc:
            self.error.setText(str(exc))
            return
        super().accept()
