"""Menu and tool-bar actions that need a dialog or the clipboard before they reach the editor."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox

from designer.document.commands import AddNode
from designer.document.model_api import edits
from designer.editor import node_name_for
from designer.panels.new_step_dialog import NewStepDialog

if TYPE_CHECKING:
    from designer.main_window import MainWindow

NODES_MARKER = "pipeline-designer/nodes:"


class EditActions(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        # (title, question) -> yes?; tests replace it
        self.confirm = lambda title, text: (
            QMessageBox.question(window, title, text) == QMessageBox.StandardButton.Yes
        )
        a, editor = window.actions, window.editor
        a.delete.triggered.connect(editor.delete_selection)
        a.auto_layout.triggered.connect(editor.auto_layout)
        a.add_pipeline.triggered.connect(self.add_pipeline)
        a.rename_pipeline.triggered.connect(self.rename_pipeline)
        a.remove_pipeline.triggered.connect(self.remove_pipeline)
        a.new_step.triggered.connect(self.new_step)
        a.copy.triggered.connect(self.copy)
        a.paste.triggered.connect(self.paste)
        a.duplicate.triggered.connect(self.duplicate)
        palette = window.palette_panel
        palette.new_step_requested.connect(self.new_step)
        palette.step_edit_requested.connect(self.edit_step)
        palette.node_requested.connect(self.add_node_of)
        palette.step_delete_requested.connect(self.remove_step)

    def _guard(self, action: str, run) -> None:
        error = run()
        if error is not None:
            QMessageBox.warning(self.w, action, error)

    def add_pipeline(self) -> None:
        taken = set(self.w.document.pipeline_names())
        default = next(f"Pipeline {n}" for n in range(1, 999) if f"Pipeline {n}" not in taken)
        name, ok = QInputDialog.getText(
            self.w, "New Pipeline", "Pipeline name:", QLineEdit.EchoMode.Normal, default
        )
        if ok and name.strip():
            self._guard("New Pipeline", lambda: self.w.editor.add_pipeline(name.strip()))

    def rename_pipeline(self) -> None:
        old = self.w.editor.pipeline
        if old is None:
            return
        name, ok = QInputDialog.getText(
            self.w, "Rename Pipeline", "New name:", QLineEdit.EchoMode.Normal, old
        )
        if ok and name.strip() and name.strip() != old:
            self._guard("Rename Pipeline", lambda: self.w.editor.rename_pipeline(old, name.strip()))

    def remove_pipeline(self) -> None:
        name = self.w.editor.pipeline
        if name is None:
            return
        answer = QMessageBox.question(
            self.w, "Delete Pipeline", f"Delete the pipeline “{name}”? You can undo this."
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._guard("Delete Pipeline", lambda: self.w.editor.remove_pipeline(name))

    def new_step(self) -> None:
        dialog = NewStepDialog(set(self.w.document.step_names()), self.w)
        if dialog.exec():
            name, image, command = dialog.values()
            self._guard("New Step", lambda: self.w.editor.add_step(name, image, command))

    def edit_step(self, step: str) -> None:
        """The step's editor in the Inspector, on its own."""
        self.w.inspector_dock.show()
        self.w.inspector_dock.raise_()
        self.w.inspector.show_step(step)

    def add_node_of(self, step: str) -> None:
        """A node of ``step`` in the middle of the view (the editor picks a free name)."""
        if self.w.current_pipeline is None:
            QMessageBox.information(self.w, "Add Node", "Add a pipeline first (Pipeline ▸ New Pipeline…).")
            return
        view = self.w.view
        self.w.editor.add_node(step, view.mapToScene(view.viewport().rect().center()))

    def remove_step(self, step: str) -> None:
        users = [
            f"{p}.{n}"
            for p in self.w.document.pipeline_names()
            for n, node in (self.w.document.view(p).nodes.items() if self.w.document.view(p) else [])
            if node.step == step
        ]
        note = f"\n\nNodes using it ({', '.join(users)}) will show a missing step." if users else ""
        if self.confirm("Delete Step", f"Delete the step “{step}”? You can undo this.{note}"):
            self._guard(
                "Delete Step", lambda: self.w.editor.edit(f"Delete step “{step}”", edits.remove_step, step)
            )

    # --- clipboard: nodes travel as JSON (name, step, offset) ------------------------------
    def _selected_specs(self) -> list[dict[str, object]]:
        editor = self.w.editor
        view = self.w.document.view(editor.pipeline) if editor.pipeline else None
        if view is None:
            return []
        pos = self.w.document.positions(editor.pipeline)
        return [
            {"name": n, "step": view.nodes[n].step, "pos": pos[n]}
            for n in self.w.scene.selected_node_names()
            if view.nodes[n].type == "execution"
        ]

    def copy(self) -> None:
        # Plain text with a marker: a QMimeData handed to the clipboard from Python crashes
        # PySide6 6.12 at exit (the clipboard and the wrapper both free it).
        specs = self._selected_specs()
        if specs:
            QGuiApplication.clipboard().setText(NODES_MARKER + json.dumps(specs))

    def paste(self) -> None:
        text = QGuiApplication.clipboard().text()
        if text.startswith(NODES_MARKER):
            try:
                specs = json.loads(text[len(NODES_MARKER) :])
            except ValueError:
                return
            if isinstance(specs, list):
                self._add_copies([s for s in specs if isinstance(s, dict) and "pos" in s and "name" in s])

    def duplicate(self) -> None:
        self._add_copies(self._selected_specs())

    def _add_copies(self, specs: list[dict]) -> None:  # type: ignore[type-arg]
        editor, doc = self.w.editor, self.w.document
        if not specs or editor.pipeline is None or not editor.can_edit:
            return
        steps = set(doc.step_names())
        specs = [s for s in specs if s.get("step") in steps]
        if not specs:
            return
        view = doc.view(editor.pipeline)
        taken = set(view.nodes) if view else set()
        names = []
        doc.undo_stack.beginMacro(f"Paste {len(specs)} node(s)")
        for spec in specs:
            name = node_name_for(str(spec["name"]), taken)
            taken.add(name)
            x, y = spec["pos"]
            editor.push(AddNode(doc, editor.pipeline, name, str(spec["step"]), (x + 40, y + 40)))
            names.append(name)
        doc.undo_stack.endMacro()
        self.w.scene.clearSelection()
        for name in names:
            item = self.w.scene.node_items.get(name)
            if item is not None:
                item.setSelected(True)
