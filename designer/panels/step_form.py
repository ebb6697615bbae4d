"""The step editor: image, command, parameters, inputs, outputs, environment, limits.

Shown under a selected node (its step), or alone when a step is picked in the Steps list.
Declared outputs (a file name or a glob) become output ports that edges can be drawn from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from designer.document.model_api import edits, query
from designer.panels.form_fields import LineField, TextField, problem_label, yaml_text
from designer.panels.spec_table import Column, SpecTable
from designer.panels.value_parsing import PARAM_TYPES, parse_default, parse_duration, parse_list, parse_number

if TYPE_CHECKING:
    from designer.editor import PipelineEditor


def _parse_param_default(text: str, row: dict[str, Any]) -> Any:
    return parse_default(text, str(row.get("type") or "string"), bool(row.get("multiple")))


def _parse_choices(text: str, row: dict[str, Any]) -> Any:
    items = parse_list(text)
    return [parse_default(i, str(row.get("type") or "string"), False) for i in items] if items else None


def _parse_keep(text: str, _row: dict[str, Any]) -> Any:
    value = text.strip() or None
    if value not in (None, "none", "suffix", "full"):
        raise ValueError("keep-directories is none, suffix or full")
    return value


PARAM_COLUMNS = [
    Column("name", "Name", width=110),
    Column("type", "Type", kind="choice", choices=tuple(PARAM_TYPES), width=78),
    Column("default", "Default", parse=_parse_param_default, width=80),
    Column("min", "Min", parse=lambda t, _r: parse_number(t), width=50),
    Column("max", "Max", parse=lambda t, _r: parse_number(t), width=50),
    Column("choices", "Choices", parse=_parse_choices, width=80),
    Column("pass-as", "Pass as", width=90),
    Column("optional", "Optional", kind="bool", width=60),
    Column("description", "Description", width=120),
]
INPUT_COLUMNS = [
    Column("name", "Name", width=120),
    Column("default", "Default", parse=lambda t, _r: t.strip() or None, width=160),
    Column("optional", "Optional", kind="bool", width=60),
    Column("keep-directories", "Keep dirs", parse=_parse_keep, width=70),
    Column("filename", "File name", width=80),
    Column("description", "Description", width=120),
]
OUTPUT_COLUMNS = [
    Column("name", "Name or pattern", width=150),
    Column("description", "Description"),
]
ENV_COLUMNS = [
    Column("name", "Name", width=140),
    Column("default", "Default", width=140),
    Column("optional", "Optional", kind="bool", width=60),
    Column("description", "Description"),
]


class StepForm(QGroupBox):
    def __init__(self, editor: PipelineEditor, parent: QWidget | None = None) -> None:
        super().__init__("Step", parent)
        self.editor = editor
        self.step: str | None = None
        self.body: dict[str, Any] = {}
        self.name = LineField(parent=self)
        self.image = LineField(parent=self)
        self.command = TextField(parent=self)
        self.command.setPlaceholderText("One command per line")
        self.command.setFixedHeight(72)
        self.time_limit = LineField(parse_duration, self)
        self.no_output = LineField(parse_duration, self)
        self.resources = TextField(as_yaml=True, parent=self)
        self.resources.setPlaceholderText("Default resources — YAML mapping of cpu, memory, devices")
        self.resources.setFixedHeight(64)
        self.params = SpecTable("parameter", PARAM_COLUMNS, self)
        self.inputs = SpecTable("input", INPUT_COLUMNS, self)
        self.outputs = SpecTable("output", OUTPUT_COLUMNS, self)
        self.outputs.setToolTip(
            "Files the step writes under /valohai/outputs: a name (model.pkl) or a pattern (*.csv).\n"
            "Each is an output port on the step's nodes, which an edge can start from."
        )
        self.env = SpecTable("variable", ENV_COLUMNS, self)
        self.problem = problem_label(self)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Image", self.image)
        form.addRow("Command", self.command)
        form.addRow("Time limit", self.time_limit)
        form.addRow("No-output timeout", self.no_output)
        form.addRow("Resources", self.resources)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        for title, table in (
            ("Parameters", self.params),
            ("Inputs", self.inputs),
            ("Outputs", self.outputs),
            ("Environment variables", self.env),
        ):
            label = QLabel(f"<b>{title}</b>", self)
            layout.addWidget(label)
            layout.addWidget(table)
        self._connect()

    def _connect(self) -> None:
        self.name.committed.connect(lambda v: self._set("name", v))
        self.image.committed.connect(lambda v: self._set("image", v))
        self.command.committed.connect(self._set_command)
        self.time_limit.committed.connect(lambda v: self._set("time-limit", v))
        self.no_output.committed.connect(lambda v: self._set("no-output-timeout", v))
        self.resources.committed.connect(self._set_resources)
        for field in (self.name, self.image, self.command, self.time_limit, self.no_output, self.resources):
            field.problem_changed.connect(self._show_problem)
        self.params.field_edited.connect(lambda n, k, v: self._spec(edits.set_parameter_field, n, k, v))
        self.params.renamed.connect(
            lambda o, n: self._edit(f"Rename parameter “{o}”", edits.rename_parameter, o, n)
        )
        self.params.add_requested.connect(
            lambda: self._add_spec(edits.add_parameter, "parameter", {"type": "string"})
        )
        self.params.remove_requested.connect(
            lambda n: self._edit(f"Remove parameter “{n}”", edits.remove_parameter, n)
        )
        self.inputs.field_edited.connect(lambda n, k, v: self._spec(edits.set_input_field, n, k, v))
        self.inputs.renamed.connect(lambda o, n: self._edit(f"Rename input “{o}”", edits.rename_input, o, n))
        self.inputs.add_requested.connect(lambda: self._add_spec(edits.add_input, "input", {}))
        self.inputs.remove_requested.connect(
            lambda n: self._edit(f"Remove input “{n}”", edits.remove_input, n)
        )
        self.outputs.field_edited.connect(lambda n, k, v: self._spec(edits.set_output_field, n, k, v))
        self.outputs.renamed.connect(
            lambda o, n: self._edit(f"Rename output “{o}”", edits.rename_output, o, n)
        )
        self.outputs.add_requested.connect(lambda: self._add_spec(edits.add_output, "output", {}))
        self.outputs.remove_requested.connect(
            lambda n: self._edit(f"Remove output “{n}”", edits.remove_output, n)
        )
        self.env.field_edited.connect(self._env_edited)
        self.env.renamed.connect(lambda o, n: self._env_edited(o, "name", n))
        self.env.add_requested.connect(self._env_add)
        self.env.remove_requested.connect(self._env_remove)

    def _show_problem(self, problem: str) -> None:
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))

    # --- load -------------------------------------------------------------------------------
    def set_step(self, step: str | None) -> None:
        self.step = step
        body = self.editor.doc.item_body("step", step) if step else None
        self.body = body if isinstance(body, dict) else {}
        self.setVisible(bool(self.body))
        if not self.body:
            return
        b = self.body
        self.setTitle(f"Step — {step}")
        self.name.set_value(str(b.get("name", "")))
        self.image.set_value(str(b.get("image") or ""))
        command = b.get("command")
        self.command.set_value("\n".join(command) if isinstance(command, list) else str(command or ""))
        self.time_limit.set_value(str(b.get("time-limit") or ""))
        self.no_output.set_value(str(b.get("no-output-timeout") or ""))
        self.resources.set_value(yaml_text(b.get("resources")))
        self.params.set_rows(query.mappings(b.get("parameters")))
        self.inputs.set_rows(query.mappings(b.get("inputs")))
        self.outputs.set_rows(query.mappings(b.get("outputs")))
        self.env.set_rows(query.mappings(b.get("environment-variables")))

    # --- edits ------------------------------------------------------------------------------
    def _edit(self, label: str, fn: Any, *args: Any, key: tuple[Any, ...] | None = None) -> None:
        if self.step is not None:
            self.editor.edit(label, fn, self.step, *args, merge_key=key)

    def _set(self, key: str, value: Any) -> None:
        if key == "image" and value is None:
            self._show_problem("A step needs a Docker image.")
            return
        self._edit(
            f"Set {key} of step “{self.step}”", edits.set_step_field, key, value, key=("step", self.step, key)
        )

    def _set_command(self, lines: list[str] | None) -> None:
        original = self.body.get("command")
        value: Any = lines
        if lines and len(lines) == 1 and isinstance(original, str):
            value = lines[0]  # keep the file's shape: a string stays a string
        self._set("command", value)

    def _set_resources(self, value: Any) -> None:
        if value is not None and not isinstance(value, dict):
            self._show_problem("Resources must be a mapping (cpu, memory, devices).")
            return
        self._set("resources", value)

    def _spec(self, fn: Any, name: str, key: str, value: Any) -> None:
        self._edit(f"Set {key} of “{name}”", fn, name, key, value, key=("spec", self.step, name, key))

    def _add_spec(self, fn: Any, what: str, extra: dict[str, Any]) -> None:
        taken = {str(p.get("name")) for p in query.mappings(self.body.get(f"{what}s"))}
        name = next(f"{what}-{n}" for n in range(1, 999) if f"{what}-{n}" not in taken)
        self._edit(f"Add {what} “{name}”", fn, {"name": name, **extra})

    def _env_rows(self) -> list[dict[str, Any]]:
        return [dict(v) for v in query.mappings(self.body.get("environment-variables"))]

    def _env_edited(self, name: str, key: str, value: Any) -> None:
        rows = self._env_rows()
        for row in rows:
            if row.get("name") == name:
                if value is None:
                    row.pop(key, None)
                else:
                    row[key] = value
        self._set("environment-variables", rows or None)

    def _env_add(self) -> None:
        rows = self._env_rows()
        taken = {r.get("name") for r in rows}
        name = next(f"VAR_{n}" for n in range(1, 999) if f"VAR_{n}" not in taken)
        self._set("environment-variables", [*rows, {"name": name, "default": ""}])

    def _env_remove(self, name: str) -> None:
        self._set("environment-variables", [r for r in self._env_rows() if r.get("name") != name] or None)
