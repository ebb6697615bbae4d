"""Menu and tool-bar actions that need a dialog or the clipboard before they reach the editor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox

from designer.document.commands import PasteNodes
from designer.document.node_clip import COPY, KEEP, Clip, clashes, copy_nodes, plan_paste
from designer.panels.new_step_dialog import NewStepDialog

if TYPE_CHECKING:
    from designer.main_window import MainWindow

PASTE_STEP = 40.0  # how far each paste of the same copy lands from the one before


class EditActions(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
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
        window.palette_panel.new_step_requested.connect(self.new_step)
        self._pasted: tuple[str, int] = ("", 0)  # the clipboard text last pasted, and how often

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

    # --- clipboard: nodes travel as their whole YAML bodies (``node_clip``) -------------------
    def _selection_clip(self) -> Clip | None:
        editor, doc = self.w.editor, self.w.document
        names = self.w.scene.selected_node_names()
        if editor.pipeline is None or not names:
            return None
        return copy_nodes(doc.loaded.data, editor.pipeline, names, doc.positions(editor.pipeline))

    def copy(self) -> None:
        # Plain text with a marker: a QMimeData handed to the clipboard from Python crashes
        # PySide6 6.12 at exit (the clipboard and the wrapper both free it).
        clip = self._selection_clip()
        if clip is not None:
            text = clip.to_text()
            QGuiApplication.clipboard().setText(text)
            self._pasted = (text, 0)

    def paste(self) -> None:
        text = QGuiApplication.clipboard().text()
        clip = Clip.from_text(text)
        if clip is None:
            return
        # Each paste of the same copy lands one step further, never on top of the last one.
        n = self._pasted[1] + 1 if self._pasted[0] == text else 1
        if self._land(clip, (PASTE_STEP * n, PASTE_STEP * n), "Paste"):
            self._pasted = (text, n)

    def duplicate(self) -> None:
        clip = self._selection_clip()
        if clip is not None:
            self._land(clip, (PASTE_STEP, PASTE_STEP), "Duplicate")

    def _land(self, clip: Clip, offset: tuple[float, float], verb: str) -> bool:
        editor, doc = self.w.editor, self.w.document
        pipeline = editor.pipeline
        view = doc.view(pipeline) if pipeline else None
        if pipeline is None or view is None:
            editor.message.emit(f"Not pasted: add a pipeline first ({verb.lower()} puts nodes into one)")
            return False
        if not editor.can_edit:
            editor.message.emit(f"Not pasted: {editor.why_refused_edit()}")
            return False
        resolved: dict[tuple[str, str], str] = {}
        for kind, name in clashes(clip, doc.loaded.data):
            answer = self.ask_clash(kind, name)
            if answer is None:
                return False
            resolved[(kind, name)] = answer
        plan = plan_paste(clip, doc.loaded.data, set(view.nodes), offset, resolved)
        command = PasteNodes(doc, pipeline, plan, verb)
        if editor.push(command) is not None:
            return False
        if command.skipped:
            editor.message.emit(f"{len(command.skipped)} copied edge(s) are not valid here: left out")
        self.w.scene.clearSelection()
        for name in plan.names:
            item = self.w.scene.node_items.get(name)
            if item is not None:
                item.setSelected(True)
        return True

    def ask_clash(self, kind: str, name: str) -> str | None:
        """The file has a different ``kind`` called ``name``: KEEP it, COPY ours renamed, or None (cancel)."""
        box = QMessageBox(QMessageBox.Icon.Question, "Name already used", "", parent=self.w)
        box.setText(
            f"This file already has a {kind} called “{name}”, different from the one the copied nodes use."
        )
        box.setInformativeText(f"Use this file's “{name}”, or add the copied one under a new name?")
        keep = box.addButton(f"Use this file's {kind}", QMessageBox.ButtonRole.AcceptRole)
        copied = box.addButton(f"Add the copied {kind}", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return KEEP if box.clickedButton() is keep else COPY if box.clickedButton() is copied else None
