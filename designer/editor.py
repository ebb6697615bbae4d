"""``PipelineEditor``: turns what the user does on the canvas and in the docks into commands.

Checks come first (``edits.check_edge`` raises a typed error, shown to the user), then one
command is pushed. Nothing here draws; nothing here edits the YAML except through commands.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QObject, QPointF, Signal
from PySide6.QtGui import QUndoCommand

from designer.canvas.scene import PipelineScene
from designer.document.commands import (
    AddEdge,
    AddNode,
    CallEdit,
    DocumentEdit,
    MoveNodes,
    RemoveNodes,
    RenamePipeline,
    ReplaceText,
    RestoreSnapshot,
    SetField,
)
from designer.document.model_api import ALLOWED_TARGETS, ConfigLoadError, EditError, edits
from designer.document.node_clip import unique_name
from designer.document.pipeline_document import XY, PipelineDocument, Snapshot

_PORT_WORDS = {
    "output": "an output",
    "input": "an input",
    "parameter": "a parameter",
    "metadata": "a metadata value",
    "file": "a deployment file",
}


def split_ref(ref: str) -> tuple[str, str, str]:
    node, type_, key = ref.split(".", 2)
    return node, type_, key


def node_name_for(step: str, taken: set[str]) -> str:
    """A readable, unique node name derived from a step name ("Train model" → "train-model")."""
    return unique_name(re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-") or "node", taken)


def fallback_message(reasons: tuple[str, ...]) -> str:
    """What the status bar says when an edit could not be written as a patch of the text."""
    return f"Changed, but not in place: {'; '.join(reasons)} (same data; see the YAML view)."


class PipelineEditor(QObject):
    # A short message for the status bar (a refused edge, an applied text, …)
    message = Signal(str)
    # The pipeline the editor works on changed (a new pipeline was made for a drop)
    pipeline_requested = Signal(str)
    # The YAML dock's text was refused: (message, line or 0)
    text_error = Signal(str, int)

    def __init__(self, doc: PipelineDocument, scene: PipelineScene, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.scene = scene
        self.pipeline: str | None = None
        self.last_pipeline: str | None = None
        scene.edge_checker = self.why_refused
        scene.edge_requested.connect(self.add_edge)
        scene.moves_finished.connect(self.move_nodes)
        scene.step_dropped.connect(self.add_node)
        scene.edge_refused.connect(self.message)

    @property
    def can_edit(self) -> bool:
        """Structural edits need a text that parses: otherwise they would drop what was typed."""
        return self.doc.text_problem is None

    def why_refused_edit(self) -> str:
        """Why ``can_edit`` is False, in a sentence for the status bar."""
        problem = self.doc.text_problem
        line = f" (line {problem.line})" if problem is not None else ""
        return f"The YAML text does not parse{line}: fix it in the YAML view first."

    @property
    def stack(self) -> Any:
        return self.doc.undo_stack

    # --- edges ------------------------------------------------------------------------------
    def why_refused(self, source: str, target: str) -> str | None:
        """A fast check for highlighting while dragging; ``add_edge`` asks the model again."""
        if not self.can_edit:
            return self.why_refused_edit()
        s_node, s_type, _ = split_ref(source)
        t_node, t_type, _ = split_ref(target)
        if s_node == t_node:
            return "A node cannot feed itself."
        if t_type not in ALLOWED_TARGETS.get(s_type, set()):
            allowed = " or ".join(_PORT_WORDS.get(t, t) for t in sorted(ALLOWED_TARGETS.get(s_type, ())))
            return (
                f"{_PORT_WORDS.get(s_type, s_type).capitalize()} cannot feed "
                f"{_PORT_WORDS.get(t_type, t_type)}; it can feed {allowed or 'nothing'}."
            )
        view = self.doc.view(self.pipeline) if self.pipeline else None
        if view is not None:
            if any(e.source == source and e.target == target for e in view.edges):
                return "These two ports are already connected."
            if t_type == "parameter" and any(e.target == target for e in view.edges):
                return "This parameter is already fed by another edge; only one edge may set a parameter."
            cycle = self._graph().would_cycle(s_node, t_node)
            if cycle:
                return "This edge would create a cycle: " + " → ".join(cycle)
        return None

    def _graph(self) -> Any:
        key = (self.pipeline, self.doc.text)
        if getattr(self, "_graph_key", None) != key:
            self._graph_key, self._graph_cache = key, self.doc.graph(self.pipeline)
        return self._graph_cache

    def add_edge(self, source: str, target: str) -> bool:
        """Check with the model, then push ``AddEdge``; a refusal is reported, never silent."""
        if self.pipeline is None:
            return False
        reason = self.why_refused(source, target)
        if reason is None:
            try:
                edits.check_edge(self.doc.loaded, self.pipeline, source, target)
            except EditError as exc:
                reason = str(exc)
        if reason is not None:
            self.message.emit(f"Not connected: {reason}")
            return False
        return self.push(AddEdge(self.doc, self.pipeline, source, target)) is None

    # --- nodes ------------------------------------------------------------------------------
    def add_node(self, step: str, pos: QPointF | XY) -> str | None:
        """A node of ``step`` at ``pos``; makes a pipeline first when the file has none."""
        if not self.can_edit:
            self.message.emit(f"Not added: {self.why_refused_edit()}")
            return None
        xy = (pos.x(), pos.y()) if isinstance(pos, QPointF) else pos
        xy = (round(xy[0] / 20) * 20, round(xy[1] / 20) * 20) if self.scene.snap_to_grid else xy
        error: str | None = "no pipeline"
        self.stack.beginMacro(f"Add node of “{step}”")
        try:
            if self.pipeline is None and self.add_pipeline(self._free_pipeline_name()) is not None:
                return None
            view = self.doc.view(self.pipeline)
            name = node_name_for(step, set(view.nodes) if view else set())
            error = self.push(AddNode(self.doc, self.pipeline, name, step, xy))
        finally:
            self.stack.endMacro()
        if error is not None:
            return None
        self.scene.select_node(name)
        return name

    def delete_selection(self) -> None:
        if self.pipeline is None:
            return
        if not self.can_edit:
            self.message.emit(f"Not deleted: {self.why_refused_edit()}")
            return
        nodes = self.scene.selected_node_names()
        edges = [
            e.index
            for e in self.scene.selected_edges()
            if e.source_node not in nodes and e.target_node not in nodes
        ]
        if nodes or edges:
            self.push(RemoveNodes(self.doc, self.pipeline, nodes, edges))

    def move_nodes(self, moves: dict[str, tuple[XY, XY]]) -> None:
        if self.pipeline is not None:
            self.stack.push(MoveNodes(self.doc, self.pipeline, moves))

    def auto_layout(self) -> None:
        if self.pipeline is None:
            return
        old = self.doc.positions(self.pipeline)
        new = self.doc.auto_layout(self.pipeline)
        moves = {n: (old[n], new[n]) for n in new if n in old and old[n] != new[n]}
        if moves:
            self.stack.push(MoveNodes(self.doc, self.pipeline, moves, "Auto layout"))

    # --- pipelines and steps ----------------------------------------------------------------
    def add_pipeline(self, name: str) -> str | None:
        error = self.push(CallEdit(self.doc, f"Add pipeline “{name}”", edits.add_pipeline, name))
        if error is None:
            self.pipeline = name
            self.pipeline_requested.emit(name)
        return error

    def _free_pipeline_name(self) -> str:
        taken = set(self.doc.pipeline_names())
        return next(f"Pipeline {n}" for n in range(1, 10_000) if f"Pipeline {n}" not in taken)

    def rename_pipeline(self, old: str, new: str) -> str | None:
        error = self.push(RenamePipeline(self.doc, old, new))
        if error is None:
            self.pipeline = new
            self.pipeline_requested.emit(new)
        return error

    def remove_pipeline(self, name: str) -> str | None:
        return self.push(CallEdit(self.doc, f"Delete pipeline “{name}”", edits.remove_pipeline, name))

    def add_step(self, name: str, image: str, command: str) -> str | None:
        return self.push(CallEdit(self.doc, f"Add step “{name}”", edits.add_step, name, image, command))

    def edit(self, label: str, fn: Any, *args: Any, merge_key: tuple[Any, ...] | None = None) -> str | None:
        """One inspector edit; edits with the same ``merge_key`` in a row merge into one undo step."""
        cmd = (
            SetField(self.doc, label, merge_key, fn, *args)
            if merge_key
            else CallEdit(self.doc, label, fn, *args)
        )
        return self.push(cmd)

    def push(self, cmd: QUndoCommand) -> str | None:
        """Run the command's edit first; a refusal is reported and never reaches the stack."""
        if isinstance(cmd, DocumentEdit):
            try:
                cmd.prepare()
            except (EditError, ConfigLoadError, ValueError, TypeError) as exc:
                message = getattr(exc, "message", None) or str(exc)
                self.message.emit(f"Not changed: {message}")
                return message
        self.stack.push(cmd)
        if self.doc.fallbacks:
            self.message.emit(fallback_message(self.doc.fallbacks))
        return None

    def recover(self, snapshot: Snapshot) -> None:
        """Apply an autosaved memento; the document stays modified until saved."""
        self.push(RestoreSnapshot(self.doc, snapshot, "Recover autosaved changes"))

    # --- the YAML dock ----------------------------------------------------------------------
    def apply_text(self, text: str) -> str | None:
        """Apply edited YAML as one undoable step. Text that does not parse is kept too (the
        canvas stays on the last text that did); returns why it does not parse, if it does not."""
        if text != self.doc.text:
            error = self.push(ReplaceText(self.doc, text))
            if error is not None:
                return self._text_error(error, None)
        problem = self.doc.text_problem
        return problem.message if problem is not None else None

    def _text_error(self, message: str, line: int | None) -> str:
        self.text_error.emit(message, line or 0)
        return message
