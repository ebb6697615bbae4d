"""The inspector's "Override" section of an execution or task node: what this node changes of
its step (image, command, parameter values, input URLs, environment variables), merged by name
at run time (``Override.merge_with_step``). The rest of ``override`` stays raw YAML (Advanced)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFormLayout, QWidget

from designer.document.model_api import node_edits, query
from designer.panels.form_fields import LineField, TextField, yaml_text
from designer.panels.section import Section
from designer.panels.spec_table import Column, SpecTable
from designer.panels.value_parsing import parse_default, parse_list

if TYPE_CHECKING:
    from designer.editor import PipelineEditor


def _parse_param(text: str, row: dict[str, Any]) -> Any:
    return parse_default(text, str(row.get("type") or "string"), bool(row.get("multiple")))


def _parse_urls(text: str, _row: dict[str, Any]) -> Any:
    urls = parse_list(text)
    return urls[0] if urls and len(urls) == 1 else urls


PARAM_COLUMNS = [
    Column("name", "Parameter", kind="readonly", width=110),
    Column("step", "Step default", kind="readonly", width=90),
    Column("value", "Override", parse=_parse_param, width=90),
]
INPUT_COLUMNS = [
    Column("name", "Input", kind="readonly", width=90),
    Column("step", "Step default", kind="readonly", width=110),
    Column("value", "Override URLs", parse=_parse_urls, width=120),
]
ENV_COLUMNS = [
    Column("name", "Variable", width=110),
    Column("step", "Step default", kind="readonly", width=90),
    Column("value", "Override", parse=lambda t, _r: t if t != "" else None, width=90),
]
_TABLES = {"parameters": "parameter", "inputs": "input", "environment-variables": "variable"}


class OverrideForm(Section):
    def __init__(self, editor: PipelineEditor, parent: QWidget | None = None) -> None:
        super().__init__("Override", editor, parent)
        self.pipeline: str | None = None
        self.node: str | None = None
        self.override: dict[str, Any] = {}
        self.layout_.addWidget(self.hint("Changes for this node only; an empty cell keeps the step's value."))
        self.image = LineField(parent=self)
        self.command = TextField(parent=self)
        self.command.setFixedHeight(56)
        form = QFormLayout()
        form.addRow("Image", self.image)
        form.addRow("Command", self.command)
        self.layout_.addLayout(form)
        self.params = SpecTable("parameter", PARAM_COLUMNS, self, editable_rows=False)
        self.inputs = SpecTable("input", INPUT_COLUMNS, self, editable_rows=False)
        self.env = SpecTable("variable", ENV_COLUMNS, self)
        self.advanced = TextField(as_yaml=True, parent=self)
        self.advanced.setPlaceholderText("mounts, environment, autorestart, runtime-config-preset…")
        self.advanced.setFixedHeight(64)
        for title, widget in (
            ("Parameters", self.params),
            ("Inputs", self.inputs),
            ("Environment variables", self.env),
            ("Advanced (YAML)", self.advanced),
        ):
            self.layout_.addWidget(self.heading(title))
            self.layout_.addWidget(widget)
        self.finish()
        self.watch(self.image, self.command, self.advanced)
        self.image.committed.connect(lambda v: self._field("image", v))
        self.command.committed.connect(self._set_command)
        self.advanced.committed.connect(self._set_advanced)
        for table, widget in (
            ("parameters", self.params),
            ("inputs", self.inputs),
            ("environment-variables", self.env),
        ):
            widget.field_edited.connect(lambda n, _k, v, t=table: self._value(t, n, v))
        self.env.renamed.connect(self._rename_variable)
        self.env.add_requested.connect(self._add_variable)
        self.env.remove_requested.connect(lambda n: self._value("environment-variables", n, None))

    # --- load -------------------------------------------------------------------------------
    def set_node(self, pipeline: str, node: str, step: dict[str, Any] | None) -> None:
        self.pipeline, self.node = pipeline, node
        raw = (self.editor.doc.node_body(pipeline, node) or {}).get("override")
        self.override = raw if isinstance(raw, dict) else {}
        o, step = self.override, step or {}
        self.image.setPlaceholderText(str(step.get("image") or "the step's image"))
        self.image.set_value(str(o.get("image") or ""))
        command = o.get("command")
        self.command.setPlaceholderText("the step's command")
        self.command.set_value("\n".join(command) if isinstance(command, list) else str(command or ""))
        for table, widget in (
            ("parameters", self.params),
            ("inputs", self.inputs),
            ("environment-variables", self.env),
        ):
            widget.set_rows(self._rows(table, step))
        shown = (*node_edits.OVERRIDE_SCALARS, *node_edits.OVERRIDE_TABLES)
        self.advanced.set_value(yaml_text({k: v for k, v in o.items() if k not in shown}))

    def _rows(self, table: str, step: dict[str, Any]) -> list[dict[str, Any]]:
        """One row per step spec (its default next to this node's value), then override-only names."""
        values = {str(i.get("name")): i.get("default") for i in query.mappings(self.override.get(table))}
        rows = [
            {**spec, "step": spec.get("default"), "value": values.pop(str(spec.get("name")), None)}
            for spec in query.mappings(step.get(table))
        ]
        return rows + [{"name": name, "value": value} for name, value in values.items()]

    # --- edits ------------------------------------------------------------------------------
    def _push(self, label: str, fn: Any, *args: Any, key: tuple[Any, ...] | None = None) -> str | None:
        if not (self.pipeline and self.node):
            return None
        return self.push(label, fn, self.pipeline, self.node, *args, key=key)

    def _field(self, key: str, value: Any) -> None:
        label = f"{'Override' if value is not None else 'Clear override of'} {key} of “{self.node}”"
        self._push(label, node_edits.set_override_field, key, value, key=("override", self.node, key))

    def _set_command(self, lines: list[str] | None) -> None:
        original = self.override.get("command")
        single = lines and len(lines) == 1 and not isinstance(original, list)
        self._field("command", lines[0] if single and lines else lines)

    def _value(self, table: str, name: str, value: Any) -> None:
        what = _TABLES[table]
        label = f"Override {what} “{name}”" if value is not None else f"Clear override of {what} “{name}”"
        self._push(label, node_edits.set_override_value, table, name, value)

    def _add_variable(self) -> None:
        taken = {str(r.get("name")) for r in self.env.rows}
        name = next(f"VAR_{n}" for n in range(1, 999) if f"VAR_{n}" not in taken)
        self._value("environment-variables", name, "")

    def _rename_variable(self, old: str, new: str) -> None:
        self._push(f"Rename variable “{old}”", node_edits.rename_override_variable, old, new)

    def _set_advanced(self, value: Any) -> None:
        if value is not None and not isinstance(value, dict):
            self.show_problem("The advanced override is a YAML mapping (mounts, environment…).")
            return
        self._push(f"Edit advanced override of “{self.node}”", node_edits.set_override_extra, value)
