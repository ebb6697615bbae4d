"""The inspector's "Actions" section: a node's ``actions`` as rows of when / if / then.

Shapes the table cannot show as one choice (a list of whens, several ifs) are shown read-only
and kept; "Edit as YAML" edits the whole list as text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QToolButton, QWidget

from designer.document.model_api import edits, node_edits
from designer.panels.form_fields import TextField, yaml_text
from designer.panels.section import Section
from designer.panels.spec_table import Column, SpecTable

if TYPE_CHECKING:
    from designer.editor import PipelineEditor


def _parse_if(text: str, _row: dict[str, Any]) -> Any:
    return text.strip() or None


COLUMNS = [
    Column("when", "When", kind="choice", choices=node_edits.WHEN, width=128),
    Column("then", "Then", kind="choice", choices=node_edits.THEN, width=132),
    Column("if", "If", parse=_parse_if, scalar_only=True, width=150),  # last: it stretches
]
NEW_ACTION = {"when": "node-complete", "then": "noop"}


class ActionsForm(Section):
    def __init__(self, editor: PipelineEditor, parent: QWidget | None = None) -> None:
        super().__init__("Actions", editor, parent)
        self.pipeline: str | None = None
        self.node: str | None = None
        self.layout_.addWidget(
            self.hint(
                "Checked when the node starts, completes or fails; e.g. if metadata.accuracy > 0.9 "
                "then stop-pipeline."
            )
        )
        self.table = SpecTable("action", COLUMNS, self)
        self.as_yaml = QToolButton(self)
        self.as_yaml.setText("Edit as YAML")
        self.as_yaml.setCheckable(True)
        self.as_yaml.setAutoRaise(True)
        self.table.buttons.insertWidget(2, self.as_yaml)
        self.text = TextField(as_yaml=True, parent=self)
        self.text.setPlaceholderText(
            "- when: node-complete\n  if: metadata.accuracy > 0.9\n  then: stop-pipeline"
        )
        self.text.setFixedHeight(110)
        self.text.hide()
        self.layout_.addWidget(self.table)
        self.layout_.addWidget(self.text)
        self.finish()
        self.watch(self.text)
        self.as_yaml.toggled.connect(self.text.setVisible)
        self.text.committed.connect(self._set_all)
        self.table.field_edited.connect(self._field)
        self.table.add_requested.connect(
            lambda: self._push("Add action", node_edits.add_action, dict(NEW_ACTION))
        )
        self.table.remove_requested.connect(
            lambda i: self._push(f"Remove action {int(i) + 1}", node_edits.remove_action, int(i))
        )

    def set_node(self, pipeline: str, node: str) -> None:
        self.pipeline, self.node = pipeline, node
        actions = (self.editor.doc.node_body(pipeline, node) or {}).get("actions")
        actions = actions if isinstance(actions, list) else []
        rows = [{**(a if isinstance(a, dict) else {"if": a}), "name": str(i)} for i, a in enumerate(actions)]
        self.table.set_rows(rows)
        self.text.set_value(yaml_text(actions))

    def _push(self, label: str, fn: Any, *args: Any, key: tuple[Any, ...] | None = None) -> str | None:
        if not (self.pipeline and self.node):
            return None
        return self.push(f"{label} of “{self.node}”", fn, self.pipeline, self.node, *args, key=key)

    def _field(self, index: str, key: str, value: Any) -> None:
        merge = ("action", self.node, index, key) if key == "if" else None
        self._push(
            f"Set {key} of action {int(index) + 1}",
            node_edits.set_action_field,
            int(index),
            key,
            value,
            key=merge,
        )

    def _set_all(self, value: Any) -> None:
        if value is not None and not (isinstance(value, list) and all(isinstance(a, dict) for a in value)):
            self.show_problem("Actions are a YAML list of {when, if, then} mappings.")
            return
        self._push("Edit actions", edits.set_node_field, "actions", value)
