"""New entries written into the text next to their siblings, in their style.

A block mapping or list gets new lines after (or before) a sibling, at its column and with
the indentation of the item they are in (a list of flow mappings gets ``- {...}`` lines
like its items); a flow collection gets the new entries between its brackets with the
separator it already uses; a ``key: []`` in a block mapping gaining its first items becomes
a block list. Each insertion next to a sibling is recorded on the patcher, so the check
(:mod:`runner.config.patch_check`) parses the sibling and the new lines together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runner.config import cst
from runner.config.cst import PatchImpossible
from runner.config.render import flow, item_lines, pair_lines, scalar
from runner.config.treediff import Op

if TYPE_CHECKING:
    from runner.config.patcher import Patcher


def insert(p: Patcher, op: Op) -> None:
    """Write ``op``'s new entries into the container at its path, before ``op.before``."""
    entry, _wrapper, inner, in_flow = p.locate(op.path)
    if not op.path and (inner is None or (inner.type == "flow_sequence" and not cst.entries(inner))):
        _into_empty_root(p, inner, op.value)
        return
    if inner is None or inner.type not in (*cst.MAPPINGS, *cst.SEQUENCES):
        raise PatchImpossible("new entries in a container the text does not hold as written")
    is_map = inner.type in cst.MAPPINGS
    children = cst.pairs(inner) if is_map else cst.entries(inner)
    if is_map:
        names = [cst.key_of(cst.pair_key(c), p.body) for c in children]
        at = names.index(op.before) if op.before is not None else len(children)
    else:
        at = op.before - p.shift(op.path) if op.before is not None else len(children)
    if in_flow or inner.type in ("flow_mapping", "flow_sequence"):
        _into_flow(p, inner, children, at, op.value, is_map, entry)
    elif not children:
        raise PatchImpossible("new entries in an empty block container")
    else:
        _into_block(p, inner, children, at, op.value, is_map)


def _into_empty_root(p: Patcher, inner: Any, new: list[Any]) -> None:
    """The first items of a file that has none (empty, only comments, or the ``[]`` that
    removing its last item left) are written as a block list at column 0."""
    lines = item_lines([v for _k, v in new], 0, p.style_of(None))
    if inner is None:
        end = len(p.body)
        before = "" if not p.body or p.body.endswith(b"\n") else "\n"
        p.patch(end, end, before + "\n".join(lines) + "\n", None)
    else:
        p.patch(inner.start_byte, cst.content_end(p.body, inner), "\n".join(lines), None)
    p.whole = True  # checked as the whole text


def _into_flow(
    p: Patcher, container: Any, children: list[Any], at: int, new: list[Any], is_map: bool, entry: Any
) -> None:
    def text(key: Any, value: Any) -> str:
        return f"{scalar(key, flow=True)}: {flow(value)}" if is_map else flow(value)

    parts = [text(k, v) for k, v in new]
    if not children:
        if entry is not None and entry.type == "block_mapping_pair" and _to_block(p, entry, new, is_map):
            return
        opening = container.children[0]
        p.patch(opening.end_byte, opening.end_byte, ", ".join(parts), container)
        return
    sep = ", "
    if len(children) > 1:
        sep = p.body[children[0].end_byte : children[1].start_byte].decode("utf-8")
    if at < len(children):
        p.patch(children[at].start_byte, children[at].start_byte, sep.join(parts) + sep, container)
    else:
        end = children[-1].end_byte
        p.patch(end, end, sep + sep.join(parts), container)


def _to_block(p: Patcher, entry: Any, new: list[Any], is_map: bool) -> bool:
    """``key: []`` gaining its first entries in a block mapping becomes a block list."""
    body = p.body
    key = cst.pair_key(entry)
    if is_map or not cst.starts_line(body, key.start_byte):
        return False
    col = cst.column(body, key.start_byte)
    value = dict(new) if is_map else [v for _k, v in new]
    lines = pair_lines(cst.key_of(key, body), value, col, p.style_of(entry.parent))
    p.patch(key.start_byte, cst.content_end(body, entry), "\n".join(lines), entry)
    return True


def _into_block(
    p: Patcher, container: Any, children: list[Any], at: int, new: list[Any], is_map: bool
) -> None:
    body = p.body
    style = p.style_of(container)
    first_start = cst.entry_start(children[0])
    col = cst.column(body, first_start)
    lines: list[str] = []
    if is_map:
        for key, value in new:
            lines += _full(pair_lines(key, value, col, style), col)
    else:
        values = [v for _k, v in new]
        if all(cst.is_flow_mapping(c) for c in children) and all(isinstance(v, dict) for v in values):
            lines = [" " * col + "- " + flow(v) for v in values]  # like its flow-style siblings
        else:
            lines = _full(item_lines(values, col, style), col)
    block = "\n".join(lines)
    if at > 0:
        offset = cst.line_end(body, children[at - 1].end_byte)
        if offset and body[offset - 1 : offset] == b"\n":
            p.patch(offset, offset, block + "\n", None)
        else:  # after the last line of a file without a final newline
            p.patch(offset, offset, "\n" + block, None)
        p.inserted.append((children[at - 1], new, is_map, True, block))
    elif cst.starts_line(body, first_start):
        offset = cst.line_start(body, first_start)
        p.patch(offset, offset, block + "\n", None)
        p.inserted.append((children[0], new, is_map, False, block))
    else:  # before the first key of a list item, on the dash's line
        p.patch(first_start, first_start, block[col:] + "\n" + " " * col, container)


def _full(lines: list[str], col: int) -> list[str]:
    """Rendered lines (the first without its indentation) all at their columns."""
    return [" " * col + lines[0], *lines[1:]]
