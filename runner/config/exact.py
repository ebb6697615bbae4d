"""An edit written as patches of the text (see :mod:`runner.config.patcher`).

:func:`exact_edit` runs the edit on a working copy of the data, diffs it, patches the text
and checks the result, raising :class:`~runner.config.cst.PatchImpossible` (the document
then re-dumps through ruamel.yaml instead) when the text cannot be patched safely.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runner.config import cst
from runner.config.cst import PatchImpossible
from runner.config.loader import BOM, LoadedConfig, load_text
from runner.config.patcher import Patcher
from runner.config.render import Style
from runner.config.treediff import Diff, diff, same, working_copy

__all__ = ["PatchImpossible", "exact_edit"]


def exact_edit(
    loaded: LoadedConfig,
    syntax: cst.Cst | None,
    style: Callable[[], Style],
    mutate: Callable[[Any], None],
) -> tuple[str, LoadedConfig, cst.Cst] | None:
    """(new text, its view, its syntax tree) after ``mutate``; None when nothing changed.

    ``mutate`` runs first: its EditError (a refused edit) propagates before anything else.
    """
    tree, origin = working_copy(loaded.data)
    mutate(tree)
    changes = diff(loaded.data, tree, origin)
    if not changes.ops:
        return None
    text = loaded.text
    bom = BOM if text.startswith(BOM) else ""
    body = text.removeprefix(BOM).encode("utf-8")
    if syntax is None or syntax.body != body:
        syntax = cst.Cst(body)
    if syntax.broken:
        raise PatchImpossible("the syntax tree of this text has errors")
    patcher = Patcher(syntax, style(), b"\r\n" if b"\r\n" in body else b"\n")
    patcher.apply(changes)
    new_body = patcher.result()
    new_text = bom + new_body.decode("utf-8")
    _plain_new_parts(changes)
    if loaded.has_aliases:  # a patch inside an anchor changes its aliases too: check it all
        view = load_text(new_text, loaded.path)
        if not same(view.data, tree):
            raise PatchImpossible("the patched text would not mean what the edit intends")
    else:
        patcher.check(changes)
        view = LoadedConfig(new_text, tree, loaded.path, positions_known=False)
    updated = cst.Cst.__new__(cst.Cst)
    updated.body, updated.tree = body, syntax.tree.copy()
    updated.update(new_body, patcher.patches)
    return new_text, view, updated


def _plain_new_parts(changes: Diff) -> None:
    """The containers an edit created (ruamel types with style marks) become plain data."""
    from runner.config.document import to_plain

    for op in changes.ops:
        if op.kind == "replace" and op.path:
            key, value = changes.new_entry(op.path)
            changes.new_at[op.path[:-1]][key] = to_plain(value)
        elif op.kind == "insert":
            container = changes.new_at[op.path]
            for key, value in op.value:
                if isinstance(container, dict):
                    container[key] = to_plain(value)
                else:
                    index = next(i for i, item in enumerate(container) if item is value)
                    container[index] = to_plain(value)
