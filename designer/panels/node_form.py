"""The inspector's node section: name, type (execution ↔ task), step, on-error, edge merge mode.

Overrides, actions, sweeps and deployments have their own sections (override_form, actions_form,
sweep_form, deployment_form)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QVBoxLayout, QWidget

from designer.document.commands import RenameNode
from designer.document.model_api import edits, node_edits
from designer.panels.form_fields import LineField, problem_label

if TYPE_CHECKING:
    from designer.editor import PipelineEditor

ON_ERROR = ("", "stop-all", "stop-next", "continue", "retry")
EDGE_MERGE = ("", "replace", "append")
NODE_TYPES = ("execution", "task")


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
        self.type = QComboBox(self)
        self.type.setToolTip("A task node runs its step many times: a parameter sweep")
        self.step = QComboBox(self)
        self.on_error = QComboBox(self)
        self.on_error.addItems([v or "(default: stop-all)" for v in ON_ERROR])
        self.merge_mode = QComboBox(self)
        self.merge_mode.addItems([v or "(default: replace)" for v in EDGE_MERGE])
        self.merge_mode.setToolTip(
            "Files arriving over edges replace an input's default files, or are added to them"
        )
        self.problem = problem_label(self)
        self.form = form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Type", self.type)
        form.addRow("Step", self.step)
        form.addRow("On error", self.on_error)
        form.addRow("Edge files", self.merge_mode)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        self.name.committed.connect(self._rename)
        self.step.activated.connect(lambda _i: self._set("step", self.step.currentText()))
        self.on_error.activated.connect(lambda i: self._set("on-error", ON_ERROR[i] or None))
        self.merge_mode.activated.connect(lambda i: self._set("edge-merge-mode", EDGE_MERGE[i] or None))
        self.type.activated.connect(lambda _i: self._set_type(self.type.currentText()))
        self.name.problem_changed.connect(self._show_problem)

    def _show_problem(self, problem: str) -> None:
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))

    def set_node(self, pipeline: str, node: str) -> None:
        self.pipeline, self.node = pipeline, node
        body = self.editor.doc.node_body(pipeline, node) or {}
        view = self.editor.doc.node_view(pipeline, node)
        node_type = view.type if view is not None else "execution"
        self.name.set_value(node)
        is_deployment = node_type == "deployment"
        with QSignalBlocker(self.type):
            self.type.clear()
            self.type.addItems([node_type] if node_type not in NODE_TYPES else list(NODE_TYPES))
            self.type.setCurrentText(node_type)
            self.type.setEnabled(not is_deployment)
        blueprint = view.blueprint if view is not None else None
        with QSignalBlocker(self.step):
            self.step.clear()
            ref = str(view.step or "") if view is not None else ""  # a blueprint's step; a deployment
            choices = [] if is_deployment or blueprint else self.editor.doc.step_names()
            self.step.addItems(choices if ref in choices else [*choices, ref])
            self.step.setCurrentText(ref)
            self.step.setEnabled(not blueprint)
            self.step.setToolTip(f"Set by the sweep “{blueprint}”" if blueprint else "")
        self.form.setRowVisible(self.step, not is_deployment)  # the Deployment section has its name
        with QSignalBlocker(self.on_error):
            value = body.get("on-error") or ""
            self.on_error.setCurrentIndex(ON_ERROR.index(value) if value in ON_ERROR else 0)
        with QSignalBlocker(self.merge_mode):
            value = body.get("edge-merge-mode") or ""
            self.merge_mode.setCurrentIndex(EDGE_MERGE.index(value) if value in EDGE_MERGE else 0)
        self.form.setRowVisible(self.merge_mode, not is_deployment)  # deployments have no inputs

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

    def _set_type(self, node_type: str) -> None:
        if self.pipeline and self.node:
            error = self.editor.edit(
                f"Make node “{self.node}” {'a task' if node_type == 'task' else 'an execution'}",
                node_edits.set_node_type,
                self.pipeline,
                self.node,
                node_type,
            )
            self._show_problem(error or "")
