"""What the Steps list does with a step: edit it in the Inspector, add a node of it, delete it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

from designer.document.model_api import edits

if TYPE_CHECKING:
    from designer.main_window import MainWindow


class StepActions(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        # (title, question) -> yes?; tests replace it
        self.confirm: Callable[[str, str], bool] = lambda title, text: (
            QMessageBox.question(window, title, text) == QMessageBox.StandardButton.Yes
        )
        palette = window.palette_panel
        palette.step_edit_requested.connect(self.edit_step)
        palette.node_requested.connect(self.add_node_of)
        palette.step_delete_requested.connect(self.remove_step)

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
        """Delete the step (undoable) once the user agreed; its nodes then show a missing step."""
        doc = self.w.document
        users = [
            f"{p}.{n}"
            for p in doc.pipeline_names()
            for n, node in (doc.view(p).nodes.items() if doc.view(p) else [])
            if node.step == step
        ]
        note = f"\n\nNodes using it ({', '.join(users)}) will show a missing step." if users else ""
        if not self.confirm("Delete Step", f"Delete the step “{step}”? You can undo this.{note}"):
            return
        error = self.w.editor.edit(f"Delete step “{step}”", edits.remove_step, step)
        if error is not None:
            QMessageBox.warning(self.w, "Delete Step", error)


__all__ = ["StepActions"]
