"""The inspector dock: the selected node (with its step) or edge, editable in place; a step
picked in the Steps list; the pipeline's own settings when nothing is selected (or via
"Pipeline settings")."""

from __future__ import annotations

from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QToolButton, QVBoxLayout, QWidget

from designer.panels.actions_form import ActionsForm
from designer.panels.edge_form import EdgeForm
from designer.panels.endpoint_form import DeploymentForm, EndpointForm
from designer.panels.node_form import NodeForm
from designer.panels.override_form import OverrideForm
from designer.panels.pipeline_form import PipelineForm
from designer.panels.step_form import StepForm
from designer.panels.sweep_form import SweepForm

if TYPE_CHECKING:
    from designer.document.graph_model import NodeView
    from designer.editor import PipelineEditor

_EMPTY = (
    "<p style='color:palette(placeholder-text)'>Select a node or an edge to edit it.</p>"
    "<p style='color:palette(placeholder-text)'>Drag a step from <b>Steps</b> onto the canvas to "
    "add a node; drag from an output port (right) to an input port (left) to connect two nodes.</p>"
)


class InspectorPanel(QScrollArea):
    def __init__(self, editor: PipelineEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self._endpoint_node: str | None = None
        self.step_only: str | None = None  # a step picked in the Steps list, edited on its own
        self._subject: tuple[str, object] = ("", None)  # what the forms show: a new one opens at the top
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget(self)
        self.pipeline_button = QToolButton(body)
        self.pipeline_button.setText("‹ Pipeline settings")
        self.pipeline_button.setAutoRaise(True)
        self.pipeline_button.setToolTip("Edit the pipeline's parameters and settings (clears the selection)")
        self.pipeline_button.clicked.connect(self.show_pipeline_settings)
        # The canvas's "Add deployment node here"
        editor.scene.deployment_requested.connect(lambda pos: self.pipeline_form.add_deployment_node(pos))
        # The selected node's last run, in one line: which rule reused it or made it run again
        # (set by the run UI, designer/run/versioning_ui.py).
        self.run_note = QLabel(body)
        self.run_note.setWordWrap(True)
        self.run_note.setObjectName("inspector-run-note")
        self.run_note.hide()
        self.empty = QLabel(_EMPTY, body)
        self.empty.setWordWrap(True)
        self.empty.setTextFormat(Qt.TextFormat.RichText)
        self.pipeline_form = PipelineForm(editor, body)
        self.node_form = NodeForm(editor, body)
        self.sweep_form = SweepForm(editor, body)
        self.deployment_form = DeploymentForm(editor, body)
        self.endpoint_form = EndpointForm(editor, body)
        self.override_form = OverrideForm(editor, body)
        self.actions_form = ActionsForm(editor, body)
        self.step_form = StepForm(editor, body)
        self.edge_form = EdgeForm(editor, body)
        self.forms = (
            self.pipeline_form,
            self.node_form,
            self.sweep_form,
            self.deployment_form,
            self.endpoint_form,
            self.override_form,
            self.actions_form,
            self.step_form,
            self.edge_form,
        )
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.pipeline_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.run_note)
        layout.addWidget(self.empty)
        for w in self.forms:
            layout.addWidget(w)
        layout.addStretch(1)
        self.setWidget(body)
        self.refresh()

    def set_run_note(self, text: str, tooltip: str = "") -> None:
        """Show (or with "" hide) a line about the selected node's last run."""
        self.run_note.setText(text)
        self.run_note.setToolTip(tooltip)
        self.run_note.setVisible(bool(text))

    def refresh(self) -> None:
        editor = self.editor
        if not shiboken6.isValid(editor.scene) or not shiboken6.isValid(self):
            return  # the window is being torn down: the scene goes first
        pipeline = editor.pipeline
        nodes = editor.scene.selected_node_names()
        edges = editor.scene.selected_edges()
        view = editor.doc.view(pipeline) if pipeline else None
        node = nodes[0] if len(nodes) == 1 and not edges and view and nodes[0] in view.nodes else None
        edge = edges[0] if len(edges) == 1 and not nodes else None
        nothing = not nodes and not edges
        if not nothing or (self.step_only and self.step_only not in editor.doc.config.steps):
            self.step_only = None
        alone = self.step_only if nothing else None
        self.empty.setVisible(node is None and edge is None and alone is None)
        self.pipeline_button.setVisible((not nothing or alone is not None) and pipeline is not None)
        self.pipeline_form.set_pipeline(pipeline if nothing and alone is None else None)
        self._show_node(pipeline, node, alone)
        self.edge_form.setVisible(edge is not None)
        if edge is not None and pipeline is not None:
            self.edge_form.set_edge(pipeline, edge.index, edge.source, edge.target)
        for form in self.forms:
            form.setEnabled(editor.can_edit)
        subject: tuple[str, object] = ("", pipeline)
        if node or edge or alone:
            subject = ("node", node) if node else ("edge", edge.index) if edge else ("step", alone)
        if subject != self._subject:  # another node, edge or step: its form from the top
            self._subject = subject
            self.verticalScrollBar().setValue(0)

    def show_step(self, step: str) -> None:
        """Edit ``step`` on its own (from the Steps list): the canvas selection is cleared."""
        self.step_only = step
        if self.editor.scene.selectedItems():
            self.editor.scene.clearSelection()  # refreshes through selectionChanged
        else:
            self.refresh()
        self.verticalScrollBar().setValue(0)

    def show_pipeline_settings(self) -> None:
        self.step_only = None
        if self.editor.scene.selectedItems():
            self.editor.scene.clearSelection()
        else:
            self.refresh()

    def _show_node(self, pipeline: str | None, node: str | None, step_only: str | None = None) -> None:
        # What the node is and runs: from the view the canvas draws; its fields: each form reads
        # them from the file (a typed node fills in defaults the file does not have).
        view = self.editor.doc.node_view(pipeline, node) if pipeline and node else None
        kind = view.type if view is not None else "execution"
        self.node_form.setVisible(view is not None)
        self.sweep_form.setVisible(view is not None and kind == "task")
        self.deployment_form.setVisible(view is not None and kind == "deployment")
        self.override_form.setVisible(view is not None and kind != "deployment")
        self.actions_form.setVisible(view is not None)
        step_name = None
        if view is not None and pipeline and node:
            self.node_form.set_node(pipeline, node)
            self.actions_form.set_node(pipeline, node)
            if kind == "task":
                self.sweep_form.set_node(pipeline, node)
            if kind == "deployment":
                self.deployment_form.set_node(pipeline, node)
            else:
                step = self.editor.doc.item_body("step", view.step) if view.step else None
                step_name = view.step if step is not None else None
                self.override_form.set_node(pipeline, node, step)
        self.step_form.set_step(step_name or step_only)
        self._show_endpoint(node if kind == "deployment" else None, view)

    def _show_endpoint(self, node: str | None, view: NodeView | None) -> None:
        """A deployment node's first endpoint; the one picked in "Edit" while the node stays selected."""
        deployed = list(view.endpoints) if node and view is not None else []
        picked = self.endpoint_form.endpoint if node is not None and node == self._endpoint_node else None
        # A renamed (or deleted) endpoint is gone under its old name: fall back to the node's first.
        current = picked if picked in self.editor.doc.config.endpoints else None
        self._endpoint_node = node
        self.endpoint_form.set_endpoint(current or (deployed[0] if deployed else None))
