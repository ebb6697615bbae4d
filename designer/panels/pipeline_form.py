"""The inspector's "Pipeline" section (shown when nothing is selected): the pipeline's
``parameters`` (one value fanned out to node parameters) and ``reuse-executions``; adding a
deployment node."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QSignalBlocker
from PySide6.QtWidgets import QCheckBox, QPushButton, QWidget

from designer.document.commands import MoveNodes
from designer.document.model_api import endpoint_edits, pipeline_edits, query
from designer.panels.section import CheckList, Section
from designer.panels.spec_table import Column, SpecTable
from designer.panels.sweep_rules import parse_items
from designer.panels.value_parsing import format_value

if TYPE_CHECKING:
    from designer.editor import PipelineEditor


def _parse_default(text: str, _row: dict[str, Any]) -> Any:
    if not text.strip():
        return None
    values = parse_items(text)
    return values[0] if len(values) == 1 and not text.strip().startswith("[") else values


COLUMNS = [
    Column("name", "Name", width=100),
    Column("default", "Default", parse=_parse_default, width=80),
    Column("targets", "Targets", kind="readonly", width=150),
    Column("description", "Description", width=120),
]


class PipelineForm(Section):
    def __init__(self, editor: PipelineEditor, parent: QWidget | None = None) -> None:
        super().__init__("Pipeline", editor, parent)
        self.pipeline: str | None = None
        self.params: list[dict[str, Any]] = []
        self.selected: str | None = None
        self.reuse = QCheckBox("Reuse unchanged executions", self)
        self.reuse.setToolTip(
            "reuse-executions: a node whose step, image, command, parameters and input files did not "
            "change since a successful run reuses that run's outputs instead of running again"
        )
        self.table = SpecTable("parameter", COLUMNS, self)
        self.targets_title = self.hint("")
        self.targets = CheckList(self)
        self.add_deployment = QPushButton("Add deployment node", self)
        self.add_deployment.setToolTip("A node that serves endpoints with files from upstream outputs")
        self.layout_.addWidget(self.reuse)
        self.layout_.addWidget(self.heading("Parameters"))
        self.layout_.addWidget(
            self.hint(
                "One value for the whole run (asked by the Run dialog, ‑‑param on the command line), "
                "sent to the node parameters checked below."
            )
        )
        for w in (self.table, self.targets_title, self.targets, self.add_deployment):
            self.layout_.addWidget(w)
        self.finish()
        self.reuse.clicked.connect(self._set_reuse)
        self.table.field_edited.connect(self._field)
        self.table.renamed.connect(self._rename)
        self.table.add_requested.connect(self._add)
        self.table.remove_requested.connect(
            lambda n: self._push(
                f"Remove pipeline parameter “{n}”", pipeline_edits.remove_pipeline_parameter, n
            )
        )
        self.table.table.itemSelectionChanged.connect(self._select_from_table)
        self.targets.checked_changed.connect(self._targets_changed)
        self.add_deployment.clicked.connect(lambda: self.add_deployment_node())

    # --- load -------------------------------------------------------------------------------
    def set_pipeline(self, pipeline: str | None) -> None:
        self.pipeline = pipeline
        body = self.editor.doc.item_body("pipeline", pipeline) if pipeline else None
        self.setVisible(body is not None)
        if body is None:
            return
        self.setTitle(f"Pipeline — {pipeline}")
        with QSignalBlocker(self.reuse):
            self.reuse.setChecked(bool(body.get("reuse-executions")))
        self.params = [p for p in query.mappings(body.get("parameters"))]
        rows = [{**p, "targets": format_value(pipeline_edits.targets_of(p))} for p in self.params]
        self.table.set_rows(rows)
        names = [str(p.get("name")) for p in self.params]
        if self.selected not in names:
            self.selected = names[0] if names else None
        self.table.select(self.selected)
        self._show_targets()

    def _sockets(self) -> list[str]:
        """Every ``node.parameter.<p>`` of the pipeline (task nodes: their blueprint's step)."""
        doc = self.editor.doc
        body = doc.item_body("pipeline", self.pipeline) if self.pipeline else None
        return [
            f"{node.get('name')}.parameter.{param}"
            for _i, node in query.nodes(body)
            for param in query.names((doc.node_step(node) or {}).get("parameters"))
        ]

    def _show_targets(self) -> None:
        param = next((p for p in self.params if p.get("name") == self.selected), None)
        self.targets_title.setVisible(param is not None)
        self.targets.setVisible(param is not None)
        if param is None:
            return
        self.targets_title.setText(f"Targets of “{self.selected}”:")
        chosen = pipeline_edits.targets_of(param)
        self.targets.set_items(self._sockets(), chosen)

    # --- edits ------------------------------------------------------------------------------
    def _push(self, label: str, fn: Any, *args: Any, key: tuple[Any, ...] | None = None) -> str | None:
        return self.push(label, fn, self.pipeline, *args, key=key) if self.pipeline else None

    def _set_reuse(self, on: bool) -> None:
        self._push(
            "Reuse executions" if on else "Do not reuse executions", pipeline_edits.set_reuse_executions, on
        )

    def _field(self, name: str, key: str, value: Any) -> None:
        self._push(
            f"Set {key} of pipeline parameter “{name}”",
            pipeline_edits.set_pipeline_parameter_field,
            name,
            key,
            value,
            key=("pipeline-param", self.pipeline, name, key),
        )

    def _rename(self, old: str, new: str) -> None:
        self.selected = new  # before the edit: the refresh it causes shows the renamed row
        self._push(f"Rename pipeline parameter “{old}”", pipeline_edits.rename_pipeline_parameter, old, new)

    def _add(self) -> None:
        taken = {str(p.get("name")) for p in self.params}
        name = next(f"param-{n}" for n in range(1, 999) if f"param-{n}" not in taken)
        self.selected = name  # before the edit: the refresh it causes shows the new row
        self._push(f"Add pipeline parameter “{name}”", pipeline_edits.add_pipeline_parameter, name)

    def _select_from_table(self) -> None:
        rows = {i.row() for i in self.table.table.selectedItems()}
        if len(rows) == 1:
            self.selected = str(self.table.rows[rows.pop()].get("name"))
            self._show_targets()

    def _targets_changed(self, targets: list[str]) -> None:
        if self.selected is None:
            return
        self._push(
            f"Set targets of pipeline parameter “{self.selected}”",
            pipeline_edits.set_pipeline_parameter_targets,
            self.selected,
            targets,
        )

    def add_deployment_node(self, pos: QPointF | None = None) -> str | None:
        """A deployment node (of the first endpoint, if any), placed at ``pos`` when given:
        one undo step. Returns its name, or None when refused."""
        if self.pipeline is None:
            return None
        view = self.editor.doc.view(self.pipeline)
        taken = set(view.nodes) if view else set()
        name = next(n for n in ("deploy", *(f"deploy-{i}" for i in range(2, 999))) if n not in taken)
        config = self.editor.doc.config
        endpoints = list(config.endpoints)[:1] if config is not None else []
        stack = self.editor.stack
        stack.beginMacro(f"Add deployment node “{name}”")
        try:
            error = self._push(
                "Add deployment node", endpoint_edits.add_deployment_node, name, "deployment", endpoints
            )
            if error is None and pos is not None:
                placed = self.editor.doc.positions(self.pipeline)[name]
                grid = 20 if self.editor.scene.snap_to_grid else 1  # as drops from the palette
                where = (round(pos.x() / grid) * grid, round(pos.y() / grid) * grid)
                stack.push(MoveNodes(self.editor.doc, self.pipeline, {name: (placed, where)}))
        finally:
            stack.endMacro()
        if error is not None:
            return None
        self.editor.scene.select_node(name)
        return name
