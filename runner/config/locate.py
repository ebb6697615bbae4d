"""Where a config path is in a text's syntax tree (:mod:`runner.config.cst`).

The patcher (:mod:`runner.config.patcher`) finds each node it changes here, walking the
path key by key and index by index. A mapping on the way that holds a key twice refuses the
edit with both lines (only edits inside that mapping: the rest of the file stays editable);
shapes the patcher cannot write into (aliases, ``<<`` merges, unusual list items) raise
:class:`~runner.config.cst.PatchImpossible`, so the edit falls back to the re-dump.
"""

from __future__ import annotations

from typing import Any

from runner.config import cst
from runner.config.cst import PatchImpossible
from runner.config.errors import EditError


class RepeatedKeyError(EditError):
    """The edit is inside a mapping that holds a key twice."""


def locate(
    tree: cst.Cst, path: tuple[Any, ...], base: int = 0, first_line: int = 1
) -> tuple[Any, Any, Any, bool]:
    """(entry, value wrapper, content node, in flow) of ``path`` in ``tree``; the entry is a
    pair or a list item node (None for the document itself). ``tree`` may hold some of the
    file's top-level items alone: ``base`` is the index of its first one among the file's and
    ``first_line`` the file's line number of its first line (paths and lines stay the file's)."""
    body = tree.body
    wrapper = tree.root()
    inner, _props = cst.unwrap(wrapper)
    entry, in_flow = None, False
    for depth, step in enumerate(path):
        if depth == 0 and isinstance(step, int):
            step -= base
        if inner is None or inner.type == "alias":
            raise PatchImpossible("the edit is inside an alias (*name) of another part")
        if inner.type in cst.MAPPINGS:
            entry = _pair(inner, step, body, first_line)
            wrapper = cst.pair_value(entry)
        elif inner.type in cst.SEQUENCES:
            items = cst.entries(inner)
            if not isinstance(step, int) or not 0 <= step < len(items) or items[step].type == "flow_pair":
                raise PatchImpossible("a list item the text writes in an unusual form")
            entry = items[step]
            wrapper = cst.item_value(entry)
        else:
            raise PatchImpossible(f"the text has a {inner.type} where the data has a container")
        in_flow = in_flow or inner.type.startswith("flow")
        inner, _props = cst.unwrap(wrapper)
    return entry, wrapper, inner, in_flow


def _pair(mapping: Any, key: Any, body: bytes, first_line: int) -> Any:
    """The pair node of ``key`` in a mapping node."""
    repeated = cst.duplicate_key(mapping, body)
    if repeated is not None:
        name, first, second = repeated
        first, second = first + first_line - 1, second + first_line - 1
        raise RepeatedKeyError(
            f'The key "{name}" appears twice in this mapping (lines {first} and {second}); '
            "remove one of them in the YAML view before editing here."
        )
    pairs = cst.pairs(mapping)
    found = [p for p in pairs if cst.key_of(cst.pair_key(p), body) == key]
    if not found or any(cst.key_of(cst.pair_key(p), body) == "<<" for p in pairs):
        raise PatchImpossible("the edit is inside a mapping merged with <<")
    return found[-1]  # the last of a repeated key wins, as for PyYAML
