"""The inspector dock: the selected node (with its step) or edge, editable in place."""

from __future__ import annotations

from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from designer.panels.edge_form import EdgeForm
from designer.panels.node_form import NodeForm
from designer.panels.step_form import StepForm

if TYPE_CHECKING:
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
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget(self)
        self.empty = QLabel(_EMPTY, body)
        self.empty.setWordWrap(True)
        self.empty.setTextFormat(Qt.TextFormat.RichText)
        self.node_form = NodeForm(editor, body)
        self.step_form = StepForm(editor, body)
        self.edge_form = EdgeForm(editor, body)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 8, 8, 8)
        for w in (self.empty, self.node_form, self.step_form, self.edge_form):
            layout.addWidget(w)
        layout.addStretch(1)
        self.setWidget(body)
        self.refresh()

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
        self.empty.setVisible(node is None and edge is None)
        self.node_form.setVisible(node is not None)
        self.edge_form.setVisible(edge is not None)
        if node is not None and pipeline is not None and view is not None:
            self.node_form.set_node(pipeline, node)
            nv = view.nodes[node]
            self.step_form.set_step(nv.step if nv.type != "deployment" and nv.step else None)
        else:
            self.step_form.set_step(None)
        if edge is not None and pipeline is not None:
            self.edge_form.set_edge(pipeline, edge.index, edge.source, edge.target)
        ok = editor.can_edit
        for form in (self.node_form, self.step_form, self.edge_form):
            form.setEnabled(ok)
