"""The inspector's "Sweep" section of a task node: its ``task:`` blueprint (type, count,
stop condition, varied parameters and their rules, parameter sets) and the live number of
executions it expands to (``runner.execution.sweep.expand_blueprint``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from designer.document.model_api import SweepError, expand_blueprint, query, task_edits
from designer.panels.form_fields import LineField, TextField, yaml_text
from designer.panels.section import Section
from designer.panels.spec_table import Column, SpecTable
from designer.panels.sweep_rules import RulesEditor, summary

if TYPE_CHECKING:
    from designer.editor import PipelineEditor

TYPE_LABELS = {
    "grid_search": "Grid search",
    "random_search": "Random search",
    "manual_search": "Manual search",
}
CHILD_ERROR = ("", *task_edits.ON_CHILD_ERROR)
VARIANT_COLUMNS = [
    Column("name", "Parameter", kind="choice", width=120),
    Column("style", "Style", kind="choice", choices=tuple(task_edits.STYLE_RULES), width=86),
    Column("rules", "Values", kind="readonly", width=150),
]


def _parse_task_name(text: str) -> str:
    if not text.strip():
        raise ValueError("A sweep needs a name.")
    return text.strip()


def _parse_count(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"“{text}” is not a number of executions (1 or more)")
    return int(text)


class SweepForm(Section):
    def __init__(self, editor: PipelineEditor, parent: QWidget | None = None) -> None:
        super().__init__("Sweep", editor, parent)
        self.pipeline: str | None = None
        self.node: str | None = None
        self.task: str | None = None
        self.body: dict[str, Any] = {}
        self.selected: str | None = None  # the variant whose rules are shown
        self.step_params: list[dict[str, Any]] = []
        self.no_sweep = self.hint("")
        self.create = QPushButton("Create sweep", self)
        self.create.setToolTip("Add a task blueprint for this node's step and vary its parameters")
        self.create.clicked.connect(self._create)
        self.blueprint = QWidget(self)
        self._build_blueprint()
        for w in (self.no_sweep, self.create, self.blueprint):
            self.layout_.addWidget(w)
        self.finish()

    def _build_blueprint(self) -> None:
        b = self.blueprint
        self.name = LineField(_parse_task_name, b)
        self.step_label = QLabel(b)
        self.type = QComboBox(b)
        self.type.addItems(list(TYPE_LABELS.values()))
        self.count = LineField(_parse_count, b)
        self.count.setPlaceholderText("random search only")
        self.stop = LineField(parent=b)
        self.stop.setPlaceholderText("e.g. metadata.loss < 0.05")
        self.on_child_error = QComboBox(b)
        self.on_child_error.addItems([v or "(default: continue-and-error)" for v in CHILD_ERROR])
        self.reuse = QCheckBox("Reuse earlier identical executions", b)
        self.total = QLabel(b)
        self.total.setStyleSheet("font-weight: 600")
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Blueprint", self.name)
        form.addRow("Step", self.step_label)
        form.addRow("Type", self.type)
        form.addRow("Executions", self.count)
        form.addRow("Stop when", self.stop)
        form.addRow("On child error", self.on_child_error)
        form.addRow("", self.reuse)
        self.variants = SpecTable("varied parameter", VARIANT_COLUMNS, b)
        self.rules_title = QLabel(b)
        self.rules = RulesEditor(b)
        self.sets_title = QLabel("<b>Parameter sets</b> (one execution each)", b)
        self.sets = TextField(as_yaml=True, parent=b)
        self.sets.setPlaceholderText("- {learning-rate: 0.1, epochs: 3}\n- {learning-rate: 0.01, epochs: 5}")
        self.sets.setFixedHeight(84)
        layout = QVBoxLayout(b)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.heading("Varied parameters"))
        for w in (self.variants, self.rules_title, self.rules, self.sets_title, self.sets, self.total):
            layout.addWidget(w)
        self.watch(self.name, self.count, self.stop, self.sets, *self.rules.problem_fields())
        self.name.committed.connect(lambda v: self._set("name", v))
        self.type.activated.connect(
            lambda i: self._set("type", list(TYPE_LABELS)[i]) if i < len(TYPE_LABELS) else None
        )
        self.count.committed.connect(lambda v: self._set("execution-count", v))
        self.stop.committed.connect(lambda v: self._set("stop-condition", v))
        self.on_child_error.activated.connect(lambda i: self._set("on-child-error", CHILD_ERROR[i] or None))
        self.reuse.clicked.connect(lambda on: self._set("reuse-children", True if on else None))
        self.sets.committed.connect(self._set_sets)
        self.variants.table.itemSelectionChanged.connect(self._select_from_table)
        self.variants.renamed.connect(self._change_parameter)
        self.variants.field_edited.connect(self._variant_edited)
        self.variants.add_requested.connect(self._add_variant)
        self.variants.remove_requested.connect(
            lambda n: self._push(f"Stop varying “{n}”", task_edits.remove_variant, n)
        )
        self.rules.rule_edited.connect(self._rule_edited)

    # --- load -------------------------------------------------------------------------------
    def set_node(self, pipeline: str, node: str) -> None:
        self.pipeline, self.node = pipeline, node
        view = self.editor.doc.node_view(pipeline, node)
        self.task = view.blueprint if view is not None else None
        self.body = (self.editor.doc.item_body("task", self.task) or {}) if self.task else {}
        has = bool(self.body)
        self.blueprint.setVisible(has)
        self.create.setVisible(not self.task and view is not None and view.step is not None)
        self.no_sweep.setVisible(not has)
        if self.task and not has:
            self.no_sweep.setText(f"The task blueprint “{self.task}” is not in this file.")
        else:
            self.no_sweep.setText(
                "This task node runs its step once per value that edges or pipeline parameters "
                "send it. Create a sweep to vary parameters as a grid, at random or by hand."
            )
        if has:
            self._load_blueprint()

    def _load_blueprint(self) -> None:
        b = self.body
        self.setTitle(f"Sweep — {self.task}")
        self.name.set_value(str(b.get("name", "")))
        self.step_label.setText(str(b.get("step", "")))
        kind = str(b.get("type") or "grid_search")
        with QSignalBlocker(self.type):
            self.type.clear()
            self.type.addItems(list(TYPE_LABELS.values()))
            if kind not in TYPE_LABELS:
                self.type.addItem(kind)  # not run locally (bayesian_tpe…): shown and kept
            self.type.setCurrentIndex(self.type.findText(TYPE_LABELS.get(kind, kind)))
        self.count.set_value(str(b.get("execution-count") or ""))
        self.count.setEnabled(kind == "random_search" or "execution-count" in b)
        self.stop.set_value(str(b.get("stop-condition") or ""))
        with QSignalBlocker(self.on_child_error):
            value = b.get("on-child-error") or ""
            self.on_child_error.setCurrentIndex(CHILD_ERROR.index(value) if value in CHILD_ERROR else 0)
        with QSignalBlocker(self.reuse):
            self.reuse.setChecked(bool(b.get("reuse-children")))
        step = self.editor.doc.item_body("step", str(b.get("step"))) or {}
        self.step_params = query.mappings(step.get("parameters"))
        self.variants.set_choices("name", [str(p.get("name")) for p in self.step_params])
        rows = [
            {
                "name": v.get("name"),
                "style": v.get("style") or "single",
                "rules": summary(str(v.get("style")), v.get("rules")),
            }
            for v in query.mappings(b.get("parameters"))
        ]
        self.variants.set_rows(rows)
        names = [r["name"] for r in rows]
        if self.selected not in names:
            self.selected = names[0] if names else None
        self.variants.select(self.selected)
        self._show_rules()
        manual = kind == "manual_search" or "parameter-sets" in b
        self.sets_title.setVisible(manual)
        self.sets.setVisible(manual)
        self.sets.set_value(yaml_text(b.get("parameter-sets")))
        self.total.setText(self._count_text())

    def _show_rules(self) -> None:
        variant = next((v for v in self.body.get("parameters") or [] if v.get("name") == self.selected), None)
        self.rules.setVisible(variant is not None)
        self.rules_title.setVisible(variant is not None)
        if variant is not None:
            style = str(variant.get("style") or "single")
            self.rules_title.setText(f"<b>Values of {self.selected}</b> ({style})")
            rules = variant.get("rules")
            self.rules.show_rules(style, rules if isinstance(rules, dict) else {})

    def _count_text(self) -> str:
        config = self.editor.doc.config
        task = config.tasks.get(self.task) if config is not None and self.task else None
        step = config.steps.get(task.step) if task is not None else None
        if task is None or step is None:
            return ""
        try:
            n = len(expand_blueprint(task, step))
        except SweepError as exc:
            return f"⚠ {exc}"
        return f"= {n} execution{'s' if n != 1 else ''}"

    # --- edits ------------------------------------------------------------------------------
    def _push(self, label: str, fn: Any, *args: Any, key: tuple[Any, ...] | None = None) -> str | None:
        return self.push(label, fn, self.task, *args, key=key) if self.task else None

    def _set(self, key: str, value: Any) -> None:
        merge = ("task", self.task, key) if key in ("execution-count", "stop-condition") else None
        if self._push(f"Set {key} of sweep “{self.task}”", task_edits.set_task_field, key, value, key=merge):
            return
        if key == "name":
            self.task = value

    def _create(self) -> None:
        if self.pipeline and self.node:
            self.push(f"Create sweep of “{self.node}”", task_edits.create_sweep, self.pipeline, self.node)

    def _set_sets(self, value: Any) -> None:
        self._push(f"Set parameter sets of “{self.task}”", task_edits.set_parameter_sets, value)

    def _select_from_table(self) -> None:
        rows = {i.row() for i in self.variants.table.selectedItems()}
        if len(rows) == 1:
            self.selected = str(self.variants.rows[rows.pop()].get("name"))
            self._show_rules()

    def _change_parameter(self, old: str, new: str) -> None:
        self.selected = new  # before the edit: the refresh it causes shows this row's rules
        self._push(f"Vary “{new}” instead of “{old}”", task_edits.set_variant_parameter, old, new)

    def _variant_edited(self, name: str, key: str, value: Any) -> None:
        if key == "style":
            self.selected = name
            self._push(f"Make “{name}” {value}", task_edits.set_variant_style, name, value)

    def _add_variant(self) -> None:
        varied = {str(v.get("name")) for v in query.mappings(self.body.get("parameters"))}
        free = [str(p.get("name")) for p in self.step_params if str(p.get("name")) not in varied]
        if not free:
            self.show_problem("Every parameter of the step is varied already.")
            return
        self.selected = free[0]
        self._push(f"Vary “{free[0]}”", task_edits.add_variant, free[0])

    def _rule_edited(self, key: str, value: Any) -> None:
        if self.selected:
            self._push(
                f"Set {key} of “{self.selected}”",
                task_edits.set_variant_rule,
                self.selected,
                key,
                value,
                key=("rule", self.task, self.selected, key),
            )
