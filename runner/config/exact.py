"""An edit written as patches of the text (see :mod:`runner.config.patcher`).

:func:`exact_edit` runs the edit on a lazy copy of the data (:mod:`runner.config.cow`),
diffs it, patches the text of each top-level item the changes fall in (parsed alone, see
:mod:`runner.config.chunks`) and checks the result, raising
:class:`~runner.config.cst.PatchImpossible` (the document then re-dumps through ruamel.yaml
instead) when the text cannot be patched safely.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runner.config import cow
from runner.config.chunks import Items, Region, TreeCache, runs
from runner.config.cst import PatchImpossible
from runner.config.errors import ConfigLoadError
from runner.config.loader import BOM, LoadedConfig, load_text
from runner.config.patcher import Patcher
from runner.config.render import Style
from runner.config.treediff import Diff, Op, diff, same

__all__ = ["PatchImpossible", "exact_edit"]


def exact_edit(
    loaded: LoadedConfig,
    syntax: Items | None,
    style: Callable[[], Style],
    mutate: Callable[[Any], None],
    cache: TreeCache | None = None,
) -> tuple[str, LoadedConfig, Items] | None:
    """(new text, its view, where its items are) after ``mutate``; None when nothing changed.

    ``mutate`` runs first: its EditError (a refused edit) propagates before anything else.
    """
    work = cow.working_copy(loaded.data)
    mutate(work)
    tree, origin = cow.finish(work)
    changes = diff(loaded.data, tree, origin)
    if not changes.ops:
        return None
    text = loaded.text
    bom = BOM if text.startswith(BOM) else ""
    body = text.removeprefix(BOM).encode("utf-8")
    if syntax is None or syntax.body != body:
        syntax = Items(body, _count(loaded.data), cache or TreeCache())
    newline = b"\r\n" if b"\r\n" in body else b"\n"
    done: list[tuple[Region, list[Op], Patcher, bytes]] = []
    for region, ops in _by_region(syntax, changes.ops):
        region_tree = syntax.tree(region)
        if region_tree.broken:
            raise PatchImpossible("the syntax tree of this text has errors")
        patcher = Patcher(region_tree, style, newline, region.base, body.count(b"\n", 0, region.start) + 1)
        patcher.apply(changes, ops)
        done.append((region, ops, patcher, patcher.result()))
    new_body = _final_newline(body, _joined(body, done))
    new_text = bom + new_body.decode("utf-8")
    _plain_new_parts(changes)
    if loaded.has_aliases:  # a patch inside an anchor changes its aliases too: check it all
        try:
            view = load_text(new_text, loaded.path)
        except ConfigLoadError as exc:  # e.g. the anchor an alias names was removed
            raise PatchImpossible(f"the patched text would not load ({exc.message})") from None
        if not same(view.data, tree):
            raise PatchImpossible("the patched text would not mean what the edit intends")
    else:
        for _region, _ops, patcher, _text in done:
            patcher.check(changes)
        view = LoadedConfig(new_text, tree, loaded.path, positions_known=False)
    return new_text, view, _items_after(syntax, new_body, _count(tree), done)


def _count(data: Any) -> int | None:
    return len(data) if isinstance(data, list) else None


def _by_region(items: Items, ops: list[Op]) -> list[tuple[Region, list[Op]]]:
    """The ops grouped by the region of the text they patch: each op falls in the top-level
    item its path starts with, one that adds top-level items in the item before that place,
    and removed items next to each other in one region (the whole text where the text is
    not split, or an op replaces the root list as a whole)."""
    spans = [_anchor(op, items.count or 0) for op in ops]
    if items.starts is None or None in spans:
        return [(items.region(None, None), ops)]
    removed = sorted(op.path[0] for op in ops if op.kind == "delete" and len(op.path) == 1)
    regions = items.regions([s for s in spans if s is not None] + runs(removed))
    grouped: dict[Region, list[Op]] = {region: [] for region in regions}
    for op, span in zip(ops, spans, strict=True):
        index = span[0] if span else 0
        grouped[next(r for r in regions if r.base <= index <= (r.last or 0))].append(op)
    return list(grouped.items())


def _anchor(op: Op, count: int) -> tuple[int, int] | None:
    """The top-level item an op's patch reads or writes; None: the root list as a whole."""
    if op.path:
        index = op.path[0]
        return (index, index) if isinstance(index, int) else None
    if op.kind == "insert" and count:
        at = op.before if op.before is not None else count
        anchor = max(at - 1, 0)  # after the item before that place (or before the first one)
        return anchor, anchor
    return None


def _joined(body: bytes, done: list[tuple[Region, list[Op], Patcher, bytes]]) -> bytes:
    out, pos = [], 0
    for region, _ops, _patcher, text in sorted(done, key=lambda d: d[0].start):
        out += [body[pos : region.start], text]
        pos = region.end
    out.append(body[pos:])
    return b"".join(out)


def _final_newline(body: bytes, new: bytes) -> bytes:
    """A file without a newline at its end stays so when its last item was removed (the
    newline before that item, in the item before, ends the text now)."""
    if not body or body.endswith(b"\n") or not new.endswith(b"\n"):
        return new  # (an empty file gains its first lines with their newline)
    if b"|+" in new[-4096:] or b">+" in new[-4096:]:
        return new  # (after a block scalar that keeps its line breaks, the newline is its own)
    return new.removesuffix(b"\n").removesuffix(b"\r")


def _items_after(
    items: Items, body: bytes, count: int | None, done: list[tuple[Region, list[Op], Patcher, bytes]]
) -> Items:
    """Where the new text's items are. A region that is still the one item it was (or the
    whole text) gets its tree now, incrementally from the tree it was patched in; the others
    are parsed when an edit needs them."""
    for region, ops, patcher, text in done:
        if region.first is None or (region.first == region.last and all(op.path for op in ops)):
            items.cache.put(patcher.cst.edited(text, patcher.patches, reparse=not patcher.only_swaps))
    return Items(body, count, items.cache)


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
