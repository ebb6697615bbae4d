"""The common frame of the inspector's newer sections: a titled group whose edits go through
``PipelineEditor.edit`` (one undoable command each) and whose refusals show in one red line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QGroupBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

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


class CheckList(QListWidget):
    """A multi-select as a list of check boxes, as tall as its rows (up to ``max_rows``)."""

    # The checked texts, in ``current`` order first (kept), then newly checked in list order
    checked_changed = Signal(list)

    def __init__(self, parent: QWidget | None = None, max_rows: int = 6) -> None:
        super().__init__(parent)
        self.max_rows = max_rows
        self.current: list[str] = []
        self.itemChanged.connect(self._changed)

    def set_items(self, names: list[str], checked: list[str]) -> None:
        """``names`` to offer; ``checked`` ones not among them are offered too (never dropped)."""
        self.current = list(checked)
        with QSignalBlocker(self):
            self.clear()
            for name in [*names, *[c for c in checked if c not in names]]:
                item = QListWidgetItem(name, self)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if name in checked else Qt.CheckState.Unchecked)
        rows = min(max(self.count(), 1), self.max_rows)
        self.setFixedHeight(rows * max(self.sizeHintForRow(0), 18) + 2 * self.frameWidth() + 4)

    def item_named(self, name: str) -> QListWidgetItem:
        found = self.findItems(name, Qt.MatchFlag.MatchExactly)
        if not found:
            raise KeyError(name)
        return found[0]

    def _changed(self, _item: QListWidgetItem) -> None:
        on = [
            self.item(i).text()
            for i in range(self.count())
            if self.item(i).checkState() == Qt.CheckState.Checked
        ]
        self.checked_changed.emit(
            [c for c in self.current if c in on] + [c for c in on if c not in self.current]
        )
