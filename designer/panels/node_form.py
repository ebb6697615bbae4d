"""The inspector's node section: name, step, on-error, overrides and actions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from designer.document.commands import RenameNode
from designer.document.model_api import edits
from designer.panels.form_fields import LineField, TextField, problem_label, yaml_text

if TYPE_CHECKING:
    from designer.editor import PipelineEditor

ON_ERROR = ("", "stop-all", "stop-next", "continue", "retry")


def _parse_node_name(text: str) -> str:
    name = text.strip()
    if not name:
        raise ValueError("A node name cannot be empty.")
    if "." in name:
        raise ValueError("A node name cannot contain “.” (edges use dots as separators).")
    return name


class NodeForm(QGroupBox):
    def __init__(self, editor: PipelineEditor, parent: QWidget | None = None) -> None:
        super().__init__("Node", parent)
        self.editor = editor
        self.pipeline: str | None = None
        self.node: str | None = None
        self.name = LineField(_parse_node_name, self)
        self.type_label = QLabel(self)
        self.step = QComboBox(self)
        self.on_error = QComboBox(self)
        self.on_error.addItems([v or "(default: stop-all)" for v in ON_ERROR])
        self.override = TextField(as_yaml=True, parent=self)
        self.override.setPlaceholderText("No override — YAML mapping of image, command, parameters…")
        self.override.setFixedHeight(80)
        self.actions = TextField(as_yaml=True, parent=self)
        self.actions.setPlaceholderText("No actions — YAML list of when / if / then")
        self.actions.setFixedHeight(80)
        self.problem = problem_label(self)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Type", self.type_label)
        form.addRow("Step", self.step)
        form.addRow("On error", self.on_error)
        form.addRow("Override", self.override)
        form.addRow("Actions", self.actions)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        self.name.committed.connect(self._rename)
        self.step.activated.connect(lambda _i: self._set("step", self.step.currentText()))
        self.on_error.activated.connect(lambda i: self._set("on-error", ON_ERROR[i] or None))
        self.override.committed.connect(self._set_override)
        self.actions.committed.connect(self._set_actions)
        for field in (self.name, self.override, self.actions):
            field.problem_changed.connect(self._show_problem)

    def _show_problem(self, problem: str) -> None:
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))

    def set_node(self, pipeline: str, node: str) -> None:
        self.pipeline, self.node = pipeline, node
        body = self.editor.raw_node(pipeline, node) or {}
        node_type = str(body.get("type") or "execution")
        self.name.set_value(node)
        self.type_label.setText(node_type)
        with QSignalBlocker(self.step):
            self.step.clear()
            is_deployment = node_type == "deployment"
            ref = str(body.get("deployment" if is_deployment else "step") or "")
            choices = [] if is_deployment else self.editor.doc.step_names()
            self.step.addItems(choices if ref in choices else [*choices, ref])
            self.step.setCurrentText(ref)
            self.step.setEnabled(not is_deployment)
        with QSignalBlocker(self.on_error):
            value = body.get("on-error") or ""
            self.on_error.setCurrentIndex(ON_ERROR.index(value) if value in ON_ERROR else 0)
        self.override.set_value(yaml_text(body.get("override")))
        self.actions.set_value(yaml_text(body.get("actions")))

    def _rename(self, new: str) -> None:
        if self.pipeline and self.node and new != self.node:
            old = self.node
            if self.editor.push(RenameNode(self.editor.doc, self.pipeline, old, new)) is None:
                self.node = new
                self.editor.scene.select_node(new)

    def _set(self, key: str, value: Any) -> None:
        if self.pipeline and self.node:
            self.editor.edit(
                f"Set {key} of node “{self.node}”",
                edits.set_node_field,
                self.pipeline,
                self.node,
                key,
                value,
                merge_key=("node", self.pipeline, self.node, key),
            )

    def _set_override(self, value: Any) -> None:
        if value is not None and not isinstance(value, dict):
            self._show_problem("An override is a mapping (image, command, parameters, inputs…).")
            return
        self._set("override", value)

    def _set_actions(self, value: Any) -> None:
        if value is not None and not isinstance(value, list):
            self._show_problem("Actions are a list of {when, if, then} items.")
            return
        self._set("actions", value)
