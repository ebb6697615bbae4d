"""Undoable edits. Each command calls one ``runner.config.edits`` function (through the
document) in ``redo`` and restores the memento taken before it in ``undo``.

Commands never touch graphics items: the scene follows the document's signals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand

from designer.document.model_api import EditError, edits
from designer.document.node_clip import PastePlan
from designer.document.pipeline_document import XY, PipelineDocument, Snapshot

# Ids for mergeWith: typing in one inspector field merges into one undo step.
MERGE_FIELD = 1001


class DocumentEdit(QUndoCommand):
    """Base: ``prepare`` runs the edit before the push (so a refusal never reaches the stack);
    afterwards undo and redo swap mementos (cheap and exact)."""

    def __init__(self, doc: PipelineDocument, text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self._before: Snapshot | None = None
        self._after: Snapshot | None = None
        self._prepared = False

    def apply(self) -> None:  # overridden
        raise NotImplementedError

    def prepare(self) -> None:
        """Run the edit now; on any error restore the document and re-raise."""
        with self.doc.edit_block():  # one announcement however many parts the edit has
            self._before = self.doc.snapshot()
            try:
                self.apply()
            except Exception:
                self.doc.restore(self._before)
                raise
            self._after = self.doc.snapshot()
        self._prepared = True

    def redo(self) -> None:
        if self._prepared:  # the push right after prepare(): already done
            self._prepared = False
        elif self._after is None:
            self.prepare()
            self._prepared = False
        else:
            self.doc.restore(self._after)

    def undo(self) -> None:
        assert self._before is not None
        self.doc.restore(self._before)


class CallEdit(DocumentEdit):
    """One ``edits`` function with its arguments; most commands are this with a good label."""

    def __init__(self, doc: PipelineDocument, text: str, edit: Callable[..., Any], *args: Any) -> None:
        super().__init__(doc, text)
        self._edit = edit
        self._args = args

    def apply(self) -> None:
        self.doc.apply(self._edit, *self._args)


class AddNode(DocumentEdit):
    def __init__(self, doc: PipelineDocument, pipeline: str, name: str, step: str, pos: XY) -> None:
        super().__init__(doc, f"Add node “{name}”")
        self.pipeline, self.name, self.step, self.pos = pipeline, name, step, pos

    def apply(self) -> None:
        self.doc.set_positions(self.pipeline, {self.name: self.pos})
        self.doc.apply(edits.add_node, self.pipeline, self.name, self.step)


class RemoveNodes(DocumentEdit):
    """Removes nodes (their edges go with them, as ``edits.remove_node`` does) and loose edges."""

    def __init__(self, doc: PipelineDocument, pipeline: str, nodes: list[str], edges: list[int]) -> None:
        what = (
            f"node “{nodes[0]}”"
            if len(nodes) == 1 and not edges
            else (f"edge {edges[0]}" if len(edges) == 1 and not nodes else f"{len(nodes) + len(edges)} items")
        )
        super().__init__(doc, f"Delete {what}")
        self.pipeline, self.nodes, self.edges = pipeline, nodes, sorted(edges, reverse=True)

    def apply(self) -> None:
        for index in self.edges:  # highest index first, so the others keep their index
            self.doc.apply(edits.remove_edge, self.pipeline, index)
        for name in self.nodes:
            self.doc.apply(edits.remove_node, self.pipeline, name)


class PasteNodes(DocumentEdit):
    """Pasted or duplicated nodes with their whole bodies, the steps, blueprints and endpoints
    they need, and the edges between them: one undo step."""

    def __init__(self, doc: PipelineDocument, pipeline: str, plan: PastePlan, verb: str = "Paste") -> None:
        names = plan.names
        super().__init__(doc, f"{verb} “{names[0]}”" if len(names) == 1 else f"{verb} {len(names)} nodes")
        self.pipeline, self.plan = pipeline, plan
        self.skipped: list[tuple[str, str]] = []  # edges the model refused (invalid in the copy too)

    def apply(self) -> None:
        self.doc.set_positions(self.pipeline, self.plan.positions)
        for kind, body in self.plan.items:
            self.doc.apply(edits.add_item, kind, body)
        for body in self.plan.nodes:
            self.doc.apply(edits.add_node_body, self.pipeline, body)
        self.skipped = []
        for source, target in self.plan.edges:
            try:
                self.doc.apply(edits.add_edge, self.pipeline, source, target)
            except EditError:
                self.skipped.append((source, target))


class AddEdge(CallEdit):
    def __init__(self, doc: PipelineDocument, pipeline: str, source: str, target: str) -> None:
        super().__init__(doc, f"Connect {source} → {target}", edits.add_edge, pipeline, source, target)


class MoveNodes(QUndoCommand):
    """Positions only (the sidecar), never the YAML; one per drag, made on release."""

    def __init__(
        self, doc: PipelineDocument, pipeline: str, moves: dict[str, tuple[XY, XY]], text: str | None = None
    ) -> None:
        label = text or (f"Move “{next(iter(moves))}”" if len(moves) == 1 else f"Move {len(moves)} nodes")
        super().__init__(label)
        self.doc, self.pipeline, self.moves = doc, pipeline, moves

    def redo(self) -> None:
        self.doc.set_positions(self.pipeline, {n: new for n, (_old, new) in self.moves.items()})

    def undo(self) -> None:
        self.doc.set_positions(self.pipeline, {n: old for n, (old, _new) in self.moves.items()})


class ReplaceText(DocumentEdit):
    """The YAML dock's text as one step; text that does not parse becomes the document's draft."""

    def __init__(self, doc: PipelineDocument, text: str) -> None:
        super().__init__(doc, "Edit YAML text")
        self.new_text = text

    def apply(self) -> None:
        self.doc.set_text(self.new_text)


class SetField(CallEdit):
    """An inspector field; consecutive edits of the same field merge into one undo step."""

    def __init__(
        self, doc: PipelineDocument, label: str, key: tuple[Any, ...], edit: Callable[..., Any], *args: Any
    ) -> None:
        super().__init__(doc, label, edit, *args)
        self.key = key

    def id(self) -> int:
        return MERGE_FIELD

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetField) or other.key != self.key:
            return False
        self._after = other._after
        return True


class RenameNode(DocumentEdit):
    def __init__(self, doc: PipelineDocument, pipeline: str, old: str, new: str) -> None:
        super().__init__(doc, f"Rename node “{old}” to “{new}”")
        self.pipeline, self.old, self.new = pipeline, old, new

    def apply(self) -> None:
        pos = self.doc.positions(self.pipeline).get(self.old)
        self.doc.apply(edits.rename_node, self.pipeline, self.old, self.new)
        if pos is not None:
            self.doc.set_positions(self.pipeline, {self.new: pos})


class RestoreSnapshot(DocumentEdit):
    """Bring back a whole memento (crash recovery) as one undoable step."""

    def __init__(self, doc: PipelineDocument, snapshot: Snapshot, text: str) -> None:
        super().__init__(doc, text)
        self.target = snapshot

    def apply(self) -> None:
        self.doc.restore(self.target)


class RenamePipeline(DocumentEdit):
    """Renames the pipeline and carries its node positions over to the new name."""

    def __init__(self, doc: PipelineDocument, old: str, new: str) -> None:
        super().__init__(doc, f"Rename pipeline “{old}” to “{new}”")
        self.old, self.new = old, new

    def apply(self) -> None:
        positions = self.doc.positions(self.old)
        self.doc.apply(edits.rename_pipeline, self.old, self.new)
        self.doc.set_positions(self.new, positions)
