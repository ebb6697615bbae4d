"""After an edit that only swaps scalars for scalars of their kind (renames, new values), the
item's syntax tree is moved, not parsed again (a parse after a change in a flow list costs
as much as a full one). The moved tree must be the tree a fresh parse gives."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from runner.config import cst
from runner.config.render import scalar
from tests.support.corpus import all_files

TEXTS = [p.read_bytes().removeprefix(b"\xef\xbb\xbf") for p in all_files()]
TEXTS = [t for t in TEXTS if not cst.Cst(t).broken]
QUOTES = {"single_quote_scalar": "'", "double_quote_scalar": '"'}


def _scalars(node: Any) -> list[Any]:
    found = [node] if node.type in cst.SCALARS and node.type != "block_scalar" else []
    for child in node.children:
        found += _scalars(child)
    return found


def _shape(node: Any) -> list[tuple[str, int, int, tuple[int, int]]]:
    """Every node's type and span; what is inside a scalar (a plain one's string, integer or
    boolean reading, a quoted one's quote and escape tokens) is not looked at by the patcher,
    which reads a scalar's span and kind only (a moved ``"step"`` swapped for ``""`` keeps its
    old inner tokens, stretched)."""
    out = [(node.type, node.start_byte, node.end_byte, node.start_point)]
    if node.type not in cst.SCALARS:
        for child in node.children:
            out += _shape(child)
    return out


VALUES = st.one_of(
    st.text(alphabet="ab-_.:# *&[]{},'\"!%@`|>?\\é", min_size=0, max_size=8),
    st.integers(-100, 100),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TEXTS), st.data())
def test_a_moved_tree_is_the_tree_a_parse_gives(text: bytes, data: st.DataObject) -> None:
    tree = cst.Cst(text)
    nodes = _scalars(tree.tree.root_node)
    if not nodes:
        return
    chosen = data.draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=4, unique_by=lambda n: n.id))
    patches = []
    for node in sorted(chosen, key=lambda n: n.start_byte):
        value = data.draw(VALUES)
        new = scalar(value, QUOTES.get(node.type), flow=cst.in_flow(node))
        if cst.same_token(node, new, cst.in_flow(node)):
            patches.append((node.start_byte, node.end_byte, new.encode("utf-8")))
    event(f"{len(patches)} swaps")
    if not patches:
        return
    out, pos = [], 0
    for start, end, new_bytes in patches:
        out += [text[pos:start], new_bytes]
        pos = end
    body = b"".join([*out, text[pos:]])
    moved = tree.edited(body, patches, reparse=False)
    fresh = cst.Cst(body)
    assert not fresh.broken
    assert _shape(moved.tree.root_node) == _shape(fresh.tree.root_node)
