"""The inspector's edge section: source and target sockets, checked before they are applied."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from designer.document.model_api import edits
from designer.panels.form_fields import LineField, problem_label

if TYPE_CHECKING:
    from designer.editor import PipelineEditor


def _parse_socket(text: str) -> str:
    parts = text.strip().split(".", 2)
    if len(parts) != 3 or not all(parts):
        raise ValueError("An edge end looks like node.type.key, e.g. train.output.model*")
    return text.strip()


class EdgeForm(QGroupBox):
    def __init__(self, editor: PipelineEditor, parent: QWidget | None = None) -> None:
        super().__init__("Edge", parent)
        self.editor = editor
        self.pipeline: str | None = None
        self.index: int | None = None
        self.source = LineField(_parse_socket, self)
        self.target = LineField(_parse_socket, self)
        self.help = QLabel(
            "The source pattern selects which outputs flow: <code>*.csv</code>, "
            "<code>model*</code>, <code>*</code> for all.",
            self,
        )
        self.help.setWordWrap(True)
        self.problem = problem_label(self)
        form = QFormLayout()
        form.addRow("Source", self.source)
        form.addRow("Target", self.target)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.help)
        layout.addWidget(self.problem)
        self.source.committed.connect(lambda _v: self._apply())
        self.target.committed.connect(lambda _v: self._apply())
        for field in (self.source, self.target):
            field.problem_changed.connect(self._show_problem)

    def _show_problem(self, problem: str) -> None:
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))

    def set_edge(self, pipeline: str, index: int, source: str, target: str) -> None:
        self.pipeline, self.index = pipeline, index
        self.setTitle(f"Edge {index}")
        self.source.set_value(source)
        self.target.set_value(target)

    def _apply(self) -> None:
        if self.pipeline is None or self.index is None:
            return
        source, target = self.source.text().strip(), self.target.text().strip()
        error = self.editor.edit(
            f"Change edge {self.index}", edits.set_edge, self.pipeline, self.index, source, target
        )
        self._show_problem(error or "")
