"""The text's concrete syntax tree (tree-sitter's YAML grammar): every node with its byte range.

Exact edits find the spans to patch here. The tree is parsed at the first edit and kept up
to date incrementally after each patch, so an edit costs what it changes, not the file's
size. tree-sitter is imported only then: the CLI never loads it.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import yaml

# Node types of tree-sitter-yaml.
SCALARS = ("plain_scalar", "single_quote_scalar", "double_quote_scalar", "block_scalar")
MAPPINGS = ("block_mapping", "flow_mapping")
SEQUENCES = ("block_sequence", "flow_sequence")
_WRAPPERS = ("block_node", "flow_node")
_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
_NOT_STRINGS = frozenset(["yes", "no", "on", "off", "true", "false", "null", "y", "n", "~"])


class PatchImpossible(Exception):
    """This edit cannot be written as a patch of the text (the reason is the message)."""


@cache
def _parser() -> Any:
    import tree_sitter
    import tree_sitter_yaml

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_yaml.language()))


class Cst:
    """The syntax tree of ``body`` (the text as UTF-8, without a byte-order mark)."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.tree = _parser().parse(body)

    @property
    def broken(self) -> bool:
        return bool(self.tree.root_node.has_error)

    def update(self, body: bytes, patches: list[tuple[int, int, bytes]]) -> None:
        """Follow ``patches`` (start, end, new bytes; sorted, not overlapping) to ``body``."""
        old = self.body
        for start, end, new in reversed(patches):  # later ones first: earlier offsets stay valid
            self.tree.edit(
                start_byte=start,
                old_end_byte=end,
                new_end_byte=start + len(new),
                start_point=_point(old, start),
                old_end_point=_point(old, end),
                new_end_point=_point(old[:start] + new, start + len(new)),
            )
            old = old[:start] + new + old[end:]
        self.body = body
        self.tree = _parser().parse(body, self.tree)

    def root(self) -> Any | None:
        """The document's top node (a wrapper), or None for a text with no document."""
        stream = self.tree.root_node
        document = next((c for c in stream.named_children if c.type == "document"), None)
        if document is None:
            return None
        return next((c for c in document.named_children if c.type in _WRAPPERS), None)


def _point(body: bytes, offset: int) -> tuple[int, int]:
    line_start = body.rfind(b"\n", 0, offset) + 1
    return body.count(b"\n", 0, offset), offset - line_start


def unwrap(node: Any) -> tuple[Any, list[Any]]:
    """(the content node, its anchor/tag nodes) of a ``block_node`` / ``flow_node``."""
    if node is None or node.type not in _WRAPPERS:
        return node, []
    props, inner = [], None
    for child in node.named_children:
        if child.type in ("anchor", "tag"):
            props.append(child)
        elif child.type != "comment":
            inner = child
    return inner, props


def pairs(mapping: Any) -> list[Any]:
    """The key/value pair nodes of a mapping (``flow_node`` for a key without a value)."""
    return [c for c in mapping.named_children if c.type in ("block_mapping_pair", "flow_pair", "flow_node")]


def entries(sequence: Any) -> list[Any]:
    """The item nodes of a sequence (``block_sequence_item``, or ``flow_node`` in a flow list)."""
    return [c for c in sequence.named_children if c.type in ("block_sequence_item", "flow_node", "flow_pair")]


def pair_key(pair: Any) -> Any | None:
    return pair.child_by_field_name("key") if pair.type != "flow_node" else pair


def pair_value(pair: Any) -> Any | None:
    return pair.child_by_field_name("value") if pair.type != "flow_node" else None


def item_value(item: Any) -> Any | None:
    if item.type != "block_sequence_item":
        return item
    return next((c for c in item.named_children if c.type in _WRAPPERS), None)


def key_of(node: Any, body: bytes) -> Any:
    """The YAML value of a key node, as PyYAML reads it (keys are almost always plain words)."""
    inner, props = unwrap(node)
    if inner is None:
        return None
    if inner.type in ("alias", "flow_mapping", "flow_sequence", "block_mapping", "block_sequence"):
        raise PatchImpossible("a mapping key that is not a plain value")
    text = body[inner.start_byte : inner.end_byte].decode("utf-8")
    if (
        not props
        and inner.type == "plain_scalar"
        and _SIMPLE_KEY.match(text)
        and text.lower() not in _NOT_STRINGS
    ):
        return text
    return _scalar_value(body[node.start_byte : node.end_byte].decode("utf-8"))


@cache
def _scalar_value(text: str) -> Any:
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def line_start(body: bytes, offset: int) -> int:
    return body.rfind(b"\n", 0, offset) + 1


def line_end(body: bytes, offset: int) -> int:
    """The offset just past the newline that ends the line holding ``offset - 1``."""
    if offset > 0 and body[offset - 1 : offset] == b"\n":
        return offset
    found = body.find(b"\n", offset)
    return len(body) if found < 0 else found + 1


def column(body: bytes, offset: int) -> int:
    """The character column of ``offset`` (the text before it on its line)."""
    return len(body[line_start(body, offset) : offset].decode("utf-8"))


def starts_line(body: bytes, offset: int) -> bool:
    """Only spaces come before ``offset`` on its line."""
    return not body[line_start(body, offset) : offset].strip(b" ")


def duplicate_key(mapping: Any, body: bytes) -> tuple[Any, int, int] | None:
    """(key, first line, second line), 1-based, of a key this mapping holds twice."""
    seen: dict[Any, int] = {}
    for pair in pairs(mapping):
        key_node = pair_key(pair)
        if key_node is None:
            continue
        key = key_of(key_node, body)
        if not isinstance(key, str | int | float | bool) and key is not None:
            continue
        line = key_node.start_point[0] + 1
        if key in seen and key != "<<":
            return key, seen[key], line
        seen.setdefault(key, line)
    return None
