"""``PipelineDocument``: the designer's single holder of the YAML document and its layout.

Only commands (``designer.document.commands``) call the mutators below. After each change the
typed view is rebuilt and diffed against the previous one, so listeners get fine-grained signals
whatever caused the change (an edit, undo/redo, a text edit in the YAML dock).
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack
from valohai_yaml.objs import Config

from designer.document.graph_model import NodeView, PipelineView, describe_pipeline
from designer.document.model_api import Layout, PipelineGraph, YamlDocument, layered_layout, lint

NEW_FILE_TEXT = ""
_EMPTY_CONFIG = Config.parse([])
XY = tuple[float, float]


@dataclass(frozen=True)
class Snapshot:
    """A memento for undo: the YAML text and every node position."""

    text: str
    positions: dict[str, dict[str, XY]]


class PipelineDocument(QObject):
    # A different file or text replaced the whole document (open, new, reload)
    reset = Signal()
    # The YAML text changed for any reason
    text_changed = Signal()
    # The list of pipelines changed (added, removed, renamed)
    pipelines_changed = Signal()
    # The list of steps (or a step's fields) changed
    steps_changed = Signal()
    # (pipeline, node) appeared / disappeared / changed (step, type, ports…)
    node_added = Signal(str, str)
    node_removed = Signal(str, str)
    node_changed = Signal(str, str)
    # (pipeline, source, target) of an edge that appeared / disappeared
    edge_added = Signal(str, str, str)
    edge_removed = Signal(str, str, str)
    # Node positions of a pipeline changed (move, auto-layout, undo of either)
    positions_changed = Signal(str)
    # The file path changed (save as, open)
    path_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.path: Path | None = None
        self._doc: Any = YamlDocument.from_text(NEW_FILE_TEXT)
        self._layout: Any = Layout()
        self._positions: dict[str, dict[str, XY]] = {}
        self._views: dict[str, PipelineView] = {}
        # How big a node is drawn, for spacing the automatic layout; the canvas replaces it.
        self.node_size: Callable[[NodeView], XY] = lambda _n: (232.0, 160.0)
        self._rebuild_views()

    # --- loading and saving -----------------------------------------------------------------
    def load_file(self, path: str | Path) -> list[str]:
        """Open ``path``; raises ``ConfigLoadError``. Returns layout warnings."""
        p = Path(path).resolve()
        doc = YamlDocument.load(p)
        layout, warnings = Layout.load(p)
        self._replace(doc, layout, p)
        return list(warnings)

    def load_text(self, text: str, path: Path | None = None) -> None:
        self._replace(YamlDocument.from_text(text, path=path), Layout(), path)

    def new(self) -> None:
        self._replace(YamlDocument.from_text(NEW_FILE_TEXT), Layout(), None)

    def _replace(self, doc: Any, layout: Any, path: Path | None) -> None:
        self._doc, self._layout, self.path = doc, layout, path
        self._positions = {}
        self.undo_stack.clear()
        self._rebuild_views()
        for name in self._views:
            self._positions[name] = dict(layout.positions(name))
        self.reset.emit()
        self.path_changed.emit()

    def save(self, path: str | Path | None = None) -> Path:
        target = Path(path).resolve() if path is not None else self.path
        if target is None:
            raise ValueError("this document has no file yet: use Save As")
        self._doc.save(target)
        # The sidecar gets the positions of the nodes that exist now; deleted nodes are dropped.
        for pipeline, view in self._views.items():
            placed = self.positions(pipeline)
            for node in set(self._layout.positions(pipeline)) - set(view.nodes):
                self._layout.remove_node(pipeline, node)
            for node, xy in placed.items():
                self._layout.set_position(pipeline, node, xy)
        self._layout.save(target)
        if target != self.path:
            self.path = target
            self.path_changed.emit()
        self.undo_stack.setClean()
        return target

    def view_state(self, pipeline: str) -> dict[str, Any]:
        """Zoom and centre saved for a pipeline in the sidecar (empty when none)."""
        return dict(self._layout.view(pipeline))

    def set_view_state(self, pipeline: str, state: dict[str, Any]) -> None:
        """View state is not an edit: it is not undoable and does not mark the file modified."""
        self._layout.set_view(pipeline, state)

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    # --- read-only views --------------------------------------------------------------------
    @property
    def text(self) -> str:
        return str(self._doc.text)

    @property
    def loaded(self) -> Any:
        return self._doc.loaded

    @property
    def config(self) -> Any:
        """The typed view; an empty config while the text is not a valid valohai.yaml."""
        config = self._doc.loaded.config
        return config if config is not None else _EMPTY_CONFIG

    def pipeline_names(self) -> list[str]:
        return list(self._views)

    def step_names(self) -> list[str]:
        return list(self.config.steps)

    def view(self, pipeline: str) -> PipelineView | None:
        return self._views.get(pipeline)

    def graph(self, pipeline: str) -> Any:
        return PipelineGraph.build(self.config, pipeline)

    def diagnostics(self) -> list[Any]:
        return list(lint(self.loaded))

    def positions(self, pipeline: str) -> dict[str, XY]:
        """Positions of every node; nodes never placed get an automatic layered position."""
        view = self._views.get(pipeline)
        if view is None:
            return {}
        placed = self._positions.setdefault(pipeline, {})
        missing = [n for n in view.nodes if n not in placed]
        if missing:
            auto = self.auto_layout(pipeline)
            if not placed:
                placed.update(auto)
            else:  # place newcomers below what the user arranged
                bottom = max(y for _, y in placed.values()) + 220.0
                for n in missing:
                    x, y = auto.get(n, (0.0, 0.0))
                    placed[n] = (x, bottom + y)
        return {n: placed[n] for n in view.nodes}

    def auto_layout(self, pipeline: str) -> dict[str, XY]:
        """Layered left-to-right positions, spaced for the largest node of the pipeline."""
        view = self._views.get(pipeline)
        sizes = [self.node_size(n) for n in view.nodes.values()] if view else []
        width = max((w for w, _ in sizes), default=232.0) + 96.0
        height = max((h for _, h in sizes), default=120.0) + 40.0
        raw = layered_layout(self.graph(pipeline), column_width=width, row_height=height)
        return {str(n): (float(x), float(y)) for n, (x, y) in raw.items()}

    # --- mutators (for commands only) -------------------------------------------------------
    def apply(self, edit: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one ``runner.config.edits`` function on the document and announce the change."""
        result = edit(self._doc, *args, **kwargs)
        self._changed()
        return result

    def set_text(self, text: str) -> None:
        """Replace the text; raises ``ConfigLoadError`` and changes nothing when it is invalid."""
        self._doc.restore(text)
        self._changed()

    def snapshot(self) -> Snapshot:
        return Snapshot(self._doc.snapshot(), copy.deepcopy(self._positions))

    def restore(self, snap: Snapshot) -> None:
        self._doc.restore(snap.text)
        old = self._positions
        self._positions = copy.deepcopy(snap.positions)
        self._changed()
        for name in set(old) | set(self._positions):
            if old.get(name) != self._positions.get(name):
                self.positions_changed.emit(name)

    def set_positions(self, pipeline: str, positions: dict[str, XY]) -> None:
        self._positions.setdefault(pipeline, {}).update(positions)
        self.positions_changed.emit(pipeline)

    # --- change propagation -----------------------------------------------------------------
    def _rebuild_views(self) -> None:
        config = self.config
        self._views = {name: describe_pipeline(config, name) for name in config.pipelines}
        self._steps = {name: _step_signature(step) for name, step in config.steps.items()}

    def _changed(self) -> None:
        old_views, old_steps = self._views, self._steps
        self._rebuild_views()
        if list(old_views) != list(self._views):
            self.pipelines_changed.emit()
        if old_steps != self._steps:
            self.steps_changed.emit()
        for name, view in self._views.items():
            before = old_views.get(name)
            if before is not None:
                self._emit_diff(name, before, view)
        self.text_changed.emit()

    def _emit_diff(self, name: str, before: PipelineView, after: PipelineView) -> None:
        for node in before.nodes:
            if node not in after.nodes:
                self.node_removed.emit(name, node)
        for node, nv in after.nodes.items():
            if node not in before.nodes:
                self.node_added.emit(name, node)
            elif before.nodes[node] != nv:
                self.node_changed.emit(name, node)
        old_edges = Counter((e.source, e.target) for e in before.edges)
        new_edges = Counter((e.source, e.target) for e in after.edges)
        for s, t in (old_edges - new_edges).elements():
            self.edge_removed.emit(name, s, t)
        for s, t in (new_edges - old_edges).elements():
            self.edge_added.emit(name, s, t)


def _step_signature(step: Any) -> tuple[Any, ...]:
    return (step.name, getattr(step, "image", None), tuple(step.inputs), tuple(step.parameters))
