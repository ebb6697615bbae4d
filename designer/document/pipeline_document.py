"""``PipelineDocument``: the designer's single holder of the YAML document and its layout.

Only commands (``designer.document.commands``) call the mutators below. After each change the
typed view is rebuilt and diffed against the previous one, so listeners get fine-grained signals
whatever caused the change (an edit, undo/redo, a text edit in the YAML dock), then one
``changed``: the scene and the Inspector refresh on that, once per edit.

The text the user sees is never replaced behind their back. When it does not parse (a YAML
syntax error, or YAML that is no valohai.yaml), the document keeps it as a *draft*: ``text`` and
``save()`` are that text, while the typed view stays on the last text that parsed (for a file
opened broken: empty) and structural edits are refused until the text parses again.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack
from valohai_yaml.objs import Config

from designer.document.draft import Draft, shape_problem, syntax_problem
from designer.document.graph_model import NodeView, PipelineView, describe_pipeline, view_changes
from designer.document.model_api import (
    ConfigLoadError,
    Diagnostic,
    EditError,
    Layout,
    PipelineGraph,
    YamlDocument,
    atomic_write,
    layered_layout,
    lint,
    query,
    read_text,
)

NEW_FILE_TEXT = ""
_EMPTY_CONFIG = Config.parse([])
XY = tuple[float, float]


@dataclass(frozen=True)
class Snapshot:
    """A memento for undo: the YAML text and every node position."""

    text: str
    positions: dict[str, dict[str, XY]]


@dataclass
class _Pending:
    """What an edit block started from, to announce the difference once at its end."""

    views: dict[str, PipelineView]
    steps: dict[str, tuple[Any, ...]]
    text: str
    moved: set[str] = field(default_factory=set)
    touched: bool = False
    fallbacks: list[str] = field(default_factory=list)  # see PipelineDocument.fallbacks


class PipelineDocument(QObject):
    # A different file or text replaced the whole document (open, new, reload)
    reset = Signal()
    # One edit finished (after its fine-grained signals): refresh what shows the document
    changed = Signal()
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
        self._draft: Draft | None = None
        self._pending: _Pending | None = None  # inside an edit block
        self._stale = False  # the views lag the text (inside an edit block)
        # Why parts of the last edit were rewritten by the YAML writer instead of patched in.
        self.fallbacks: tuple[str, ...] = ()
        # How big a node is drawn, for spacing the automatic layout; the canvas replaces it.
        self.node_size: Callable[[NodeView], XY] = lambda _n: (232.0, 160.0)
        self._rebuild_views()

    # --- loading and saving -----------------------------------------------------------------
    def load_file(self, path: str | Path) -> list[str]:
        """Open ``path``; raises ``ConfigLoadError`` only for a file that is not readable text
        (a syntax error opens as a draft). Returns layout warnings."""
        file, text = read_text(Path(path).resolve())
        layout, warnings = Layout.load(file)
        self._replace(text, layout, file)
        return list(warnings)

    def load_text(self, text: str, path: Path | None = None) -> None:
        self._replace(text, Layout(), path)

    def new(self) -> None:
        self._replace(NEW_FILE_TEXT, Layout(), None)

    def _replace(self, text: str, layout: Any, path: Path | None) -> None:
        self._doc, self._layout, self.path = YamlDocument.from_text(NEW_FILE_TEXT, path=path), layout, path
        self._take_text(text)
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
        if self._draft is not None:  # their file, as they typed it (the previous one goes to .bak)
            atomic_write(target, self._draft.text.encode("utf-8"), backup=True)
        else:
            self._doc.save(target)
        # The sidecar gets the positions of the nodes that exist now; deleted nodes are dropped.
        for pipeline, view in self._fresh().items():
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
        """The text the user sees and ``save()`` writes (a draft that does not parse, too)."""
        return self._draft.text if self._draft is not None else str(self._doc.text)

    @property
    def text_problem(self) -> Diagnostic | None:
        """Why the text gives no pipeline model (the canvas then shows the last one that did)."""
        return self._draft.problem if self._draft is not None else None

    @property
    def loaded(self) -> Any:
        """The parse of the last text that gave a pipeline model (what the canvas shows)."""
        return self._doc.loaded

    @property
    def problems_source(self) -> Any:
        """The parse that ``diagnostics()`` refers to (the draft's, while there is one)."""
        draft = self._draft
        return draft.loaded if draft is not None and draft.loaded is not None else self._doc.loaded

    @property
    def config(self) -> Any:
        """The typed view; an empty config while the text is not a valid valohai.yaml."""
        config = self._doc.loaded.config
        return config if config is not None else _EMPTY_CONFIG

    # The file's own data for the Inspector: the same parse the canvas's typed view comes from.
    def item_body(self, kind: str, name: str) -> dict[str, Any] | None:
        """A top-level ``step`` / ``pipeline`` / ``task`` / ``endpoint`` as the file has it."""
        return query.item_body(self.loaded.data, kind, name)

    def node_body(self, pipeline: str, node: str) -> dict[str, Any] | None:
        return query.node_body(self.loaded.data, pipeline, node)

    def node_step(self, node: Any) -> dict[str, Any] | None:
        """The step a node body runs (its ``step:``, or its sweep blueprint's)."""
        return query.node_step(self.loaded.data, node)

    def pipeline_names(self) -> list[str]:
        return list(self._fresh())

    def step_names(self) -> list[str]:
        return list(self.config.steps)

    def view(self, pipeline: str) -> PipelineView | None:
        return self._fresh().get(pipeline)

    def node_view(self, pipeline: str, node: str) -> NodeView | None:
        """A node as the canvas draws it: its type, the step it runs, its blueprint, its endpoints."""
        view = self._fresh().get(pipeline)
        return view.nodes.get(node) if view is not None else None

    def graph(self, pipeline: str) -> Any:
        return PipelineGraph.build(self.config, pipeline)

    def diagnostics(self) -> list[Any]:
        draft = self._draft
        if draft is None:
            return list(lint(self.loaded))
        found = list(lint(draft.loaded)) if draft.loaded is not None else []
        return found if any(d.severity == "error" for d in found) else [draft.problem, *found]

    def positions(self, pipeline: str) -> dict[str, XY]:
        """Positions of every node; nodes never placed get an automatic layered position."""
        view = self._fresh().get(pipeline)
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
        view = self._fresh().get(pipeline)
        sizes = [self.node_size(n) for n in view.nodes.values()] if view else []
        width = max((w for w, _ in sizes), default=232.0) + 96.0
        height = max((h for _, h in sizes), default=120.0) + 40.0
        raw = layered_layout(self.graph(pipeline), column_width=width, row_height=height)
        return {str(n): (float(x), float(y)) for n, (x, y) in raw.items()}

    # --- mutators (for commands only) -------------------------------------------------------
    @contextmanager
    def edit_block(self) -> Iterator[None]:
        """Everything changed inside is announced once, at the end (a command, a macro's undo)."""
        if self._pending is not None:
            yield
            return
        self._pending = _Pending(self._fresh(), self._steps, self.text)
        try:
            yield
        finally:
            pending, self._pending = self._pending, None
            self.fallbacks = tuple(dict.fromkeys(pending.fallbacks))
            self._announce(pending)

    def apply(self, edit: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one ``runner.config.edits`` function on the document and announce the change."""
        if self._draft is not None:
            # The edit would apply to the last text that parsed and drop what the user typed.
            problem = self._draft.problem
            raise EditError(
                f"The YAML text does not parse (line {problem.line}): fix it in the YAML view "
                "before editing here."
            )
        with self.edit_block():
            result = edit(self._doc, *args, **kwargs)
            self._changed()
            why, pending = self._doc.last_edit_fallback, self._pending
            if why is not None and pending is not None:  # not written as a patch of the text (rare)
                where = "the whole file" if self._doc.last_edit_rewrote_file else "the lines around it"
                pending.fallbacks.append(f"{why}, so {where} were rewritten in the YAML writer's layout")
        return result

    def set_text(self, text: str) -> None:
        """Replace the text; text that does not parse is kept as a draft (see the module doc)."""
        with self.edit_block():
            self._take_text(text)
            self._changed()

    def snapshot(self) -> Snapshot:
        return Snapshot(self.text, copy.deepcopy(self._positions))

    def restore(self, snap: Snapshot) -> None:
        with self.edit_block():
            self._take_text(snap.text)
            old = self._positions
            self._positions = copy.deepcopy(snap.positions)
            self._changed()
            assert self._pending is not None
            self._pending.moved |= {
                name for name in set(old) | set(self._positions) if old.get(name) != self._positions.get(name)
            }

    def set_positions(self, pipeline: str, positions: dict[str, XY]) -> None:
        with self.edit_block():
            self._positions.setdefault(pipeline, {}).update(positions)
            assert self._pending is not None
            self._pending.moved.add(pipeline)
            self._pending.touched = True

    def undo(self) -> None:
        """Undo as one announced change, even when the step is a macro of several commands."""
        with self.edit_block():
            self.undo_stack.undo()

    def redo(self) -> None:
        with self.edit_block():
            self.undo_stack.redo()

    # --- change propagation -----------------------------------------------------------------
    def _take_text(self, text: str) -> None:
        """Make ``text`` the document's: parsed into the model, or kept as a draft."""
        model_text = str(self._doc.text)
        try:
            self._doc.restore(text)
        except ConfigLoadError as exc:
            if not exc.readable:
                raise
            self._draft = Draft(text, syntax_problem(exc, self.path))
            return
        loaded = self._doc.loaded
        if loaded.config is None and text.strip():
            # Readable YAML that is no valohai.yaml (a mapping at the top, a list of strings...):
            # lint explains it; the model stays on the last text that was one.
            self._draft = Draft(text, shape_problem(loaded), loaded)
            self._doc.restore(model_text)
            return
        self._draft = None

    def _fresh(self) -> dict[str, PipelineView]:
        if self._stale:
            self._rebuild_views()
        return self._views

    def _rebuild_views(self) -> None:
        config = self.config
        self._views = {name: describe_pipeline(config, name) for name in config.pipelines}
        self._steps = {name: _step_signature(step) for name, step in config.steps.items()}
        self._stale = False

    def _changed(self) -> None:
        if self._pending is None:
            raise RuntimeError("document changes happen inside an edit block")
        self._pending.touched = True
        self._stale = True  # rebuilt once, when someone looks or the block ends

    def _announce(self, pending: _Pending) -> None:
        if not pending.touched:
            return
        old_views, old_steps = pending.views, pending.steps
        views = self._fresh()
        if list(old_views) != list(views):
            self.pipelines_changed.emit()
        if old_steps != self._steps:
            self.steps_changed.emit()
        for name, view in views.items():
            before = old_views.get(name)
            if before is not None:
                for signal, args in view_changes(before, view):  # node_removed, edge_added...
                    getattr(self, signal).emit(name, *args)
        for name in sorted(pending.moved):
            self.positions_changed.emit(name)
        if self.text != pending.text:
            self.text_changed.emit()
        self.changed.emit()


def _step_signature(step: Any) -> tuple[Any, ...]:
    return (step.name, getattr(step, "image", None), tuple(step.inputs), tuple(step.parameters))
