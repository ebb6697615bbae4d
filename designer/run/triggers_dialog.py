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
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.panels.form_fields import NamedRows, list_table, table_with_buttons
from designer.run.trigger_form import ERROR_STYLE, TriggerForm, next_run_text
from runner.api import (
    SidecarError,
    Trigger,
    TriggerError,
    load_triggers,
    remove_trigger,
    save_trigger,
)

COLUMNS = ["Name", "Pipeline", "When", "Parameters", "Next run"]


class TriggersDialog(NamedRows, QDialog):
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
        self.table = list_table(self, COLUMNS)
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
