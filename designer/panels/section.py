"""The common frame of the inspector's newer sections: a titled group whose edits go through
``PipelineEditor.edit`` (one undoable command each) and whose refusals show in one red line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget

from designer.panels.form_fields import problem_label

if TYPE_CHECKING:
    from designer.editor import PipelineEditor


class Section(QGroupBox):
    def __init__(self, title: str, editor: PipelineEditor, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.editor = editor
        self.problem = problem_label(self)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setSpacing(6)

    def finish(self) -> None:
        """Put the problem line last (call after adding the section's widgets)."""
        self.layout_.addWidget(self.problem)

    def show_problem(self, problem: str) -> None:
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))

    def watch(self, *fields: Any) -> None:
        """Show the fields' inline problems (bad number, bad YAML…) in the problem line."""
        for field in fields:
            field.problem_changed.connect(self.show_problem)

    def push(self, label: str, fn: Any, *args: Any, key: tuple[Any, ...] | None = None) -> str | None:
        """One undoable edit; a refusal (the model's message) is shown under the section."""
        error = self.editor.edit(label, fn, *args, merge_key=key)
        self.show_problem(error or "")
        return error

    def heading(self, text: str) -> QLabel:
        label = QLabel(f"<b>{text}</b>", self)
        label.setTextFormat(Qt.TextFormat.RichText)
        return label

    def hint(self, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setWordWrap(True)
        label.setStyleSheet("color: palette(placeholder-text)")
        return label
