"""Run ▸ Triggers…: the re-training triggers saved for the open file (``pipeline-designer watch``).

Lists them (pipeline, when, next fire time of cron schedules), adds, edits and removes them in the
YAML's sidecar through ``runner.triggers`` (one atomic read-modify-write of the "triggers"
section; node positions and view state in the same file are left as they are), and copies the
exact ``pipeline-designer watch`` command line that runs one. The designer never runs triggers
itself: watching is a long-lived job for a terminal or a service.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.panels.form_fields import table_with_buttons
from runner.api import (
    SidecarError,
    Trigger,
    TriggerError,
    load_triggers,
    remove_trigger,
    save_trigger,
    stored_path,
)

COLUMNS = ["Name", "Pipeline", "When", "Parameters", "Next run"]
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


class TriggersDialog(QDialog):
    """The saved triggers of one YAML file in a table, with Add / Edit / Remove / Copy command."""

    # The saved triggers changed on disk (added, edited or removed)
    triggers_changed = Signal()

    def __init__(
        self,
        yaml_path: str | Path,
        pipelines: list[str],
        pipeline: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.yaml_path = Path(yaml_path)
        self.pipelines, self.pipeline = pipelines, pipeline
        self.setWindowTitle(f"Triggers — {self.yaml_path.name}")
        self.resize(940, 320)
        self.triggers: dict[str, Trigger] = {}
        self.form: TriggerForm | None = None
        # Remove asks first (tests replace it): ask(title, text) -> yes?
        self.ask: Callable[[str, str], bool] = self._ask_box
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.edit_trigger())
        top, buttons = table_with_buttons(
            self,
            self.table,
            [
                ("Add…", self.add_trigger),
                ("Edit…", self.edit_trigger),
                ("Remove", self.remove_selected),
                ("Copy command", self.copy_command),
            ],
        )
        self.add_button, self.edit_button, self.remove_button, self.copy_button = buttons
        self.copy_button.setToolTip("Copy the pipeline-designer watch command that runs this trigger")
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        hint = QLabel(
            "Triggers run while <code>pipeline-designer watch</code> runs (in a terminal or as a "
            "service); unchanged nodes are reused. Use <i>Copy command</i> to get its command line.",
            self,
        )
        hint.setWordWrap(True)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(hint)
        layout.addWidget(close)
        self.refresh()

    # --- table ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        try:
            self.triggers, problems = load_triggers(self.yaml_path)
        except SidecarError as exc:
            self.triggers, problems = {}, [str(exc)]
        self._show_problems(problems)
        names = sorted(self.triggers)
        self.table.setRowCount(len(names))
        now = time.time()
        for row, name in enumerate(names):
            t = self.triggers[name]
            missing = t.pipeline not in self.pipelines
            params = " ".join(f"{k}={v}" for k, v in t.params.items())
            pipeline = t.pipeline + (" (missing)" if missing else "")
            values = [name, pipeline, t.describe(), params, next_run_text(t, now)]
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(t.command(self.yaml_path) if col == 0 else value)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self._update_buttons()

    def _show_problems(self, problems: list[str]) -> None:
        self.message.setStyleSheet(ERROR_STYLE if problems else "")
        self.message.setText("\n".join(f"Skipped: {p}" for p in problems))
        self.message.setVisible(bool(problems))

    def names(self) -> list[str]:
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount())]

    def selected(self) -> str | None:
        rows = {i.row() for i in self.table.selectedItems()}
        return self.table.item(rows.pop(), 0).text() if len(rows) == 1 else None

    def select(self, name: str) -> None:
        if name in self.names():
            self.table.selectRow(self.names().index(name))

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        for button in (self.edit_button, self.remove_button, self.copy_button):
            button.setEnabled(chosen)

    # --- add / edit / remove / copy -------------------------------------------------------------
    def add_trigger(self) -> None:
        self._open_form(None)

    def edit_trigger(self) -> None:
        name = self.selected()
        if name is not None:
            self._open_form(self.triggers[name])

    def _open_form(self, trigger: Trigger | None) -> None:
        if self.form is not None:
            self.form.deleteLater()
        taken = set(self.triggers)
        self.form = TriggerForm(self.yaml_path, self.pipelines, trigger, self.pipeline, taken, self)
        old = trigger.name if trigger else None
        self.form.accepted.connect(lambda form=self.form: self._save(form, old))
        self.form.open()

    def _save(self, form: TriggerForm, replace: str | None) -> None:
        assert form.trigger is not None
        try:
            save_trigger(self.yaml_path, form.trigger, replace=replace)
        except (TriggerError, SidecarError, OSError) as exc:
            QMessageBox.warning(self, "Trigger not saved", str(exc))
            return
        self.refresh()
        self.select(form.trigger.name)
        self.triggers_changed.emit()

    def remove_selected(self) -> None:
        name = self.selected()
        if name is None or not self.ask("Remove trigger", f"Remove the trigger {name!r}?"):
            return
        try:
            remove_trigger(self.yaml_path, name)
        except (SidecarError, OSError) as exc:
            QMessageBox.warning(self, "Trigger not removed", str(exc))
            return
        self.refresh()
        self.triggers_changed.emit()

    def copy_command(self) -> str | None:
        name = self.selected()
        if name is None:
            return None
        command = self.triggers[name].command(self.yaml_path)
        QGuiApplication.clipboard().setText(command)
        self.message.setStyleSheet("")
        self.message.setText(f"Copied: {command}")
        self.message.show()
        return command

    def _ask_box(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes


def open_triggers_dialog(
    parent: QWidget, yaml_path: str | Path | None, pipeline: str | None
) -> TriggersDialog | None:
    """Run ▸ Triggers…: show the dialog for ``yaml_path`` (non-modal, one per window).

    An unsaved file has no sidecar yet: the user is asked to save it first (returns None).
    """
    if yaml_path is None:
        QMessageBox.information(parent, "Triggers", "Save the file first: triggers are kept next to it.")
        return None
    document: Any = getattr(parent, "document", None)
    pipelines = list(document.pipeline_names()) if document is not None else _pipelines_of(Path(yaml_path))
    dialog: TriggersDialog | None = getattr(parent, "_triggers_dialog", None)
    if dialog is None or not shiboken6.isValid(dialog) or dialog.yaml_path != Path(yaml_path):
        if dialog is not None and shiboken6.isValid(dialog):
            dialog.deleteLater()
        dialog = TriggersDialog(yaml_path, pipelines, pipeline, parent)
        parent._triggers_dialog = dialog  # type: ignore[attr-defined]
    else:
        dialog.pipelines, dialog.pipeline = pipelines, pipeline
        dialog.refresh()
    dialog.show()
    dialog.raise_()
    return dialog


def _pipelines_of(yaml_path: Path) -> list[str]:
    from runner.api import ConfigLoadError, load

    try:
        config = load(yaml_path).config
    except ConfigLoadError:  # the table still lists the triggers; their pipelines show as missing
        return []
    return list(config.pipelines) if config is not None else []
