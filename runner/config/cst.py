"""A text's concrete syntax tree (tree-sitter's YAML grammar): every node with its byte range.

Exact edits find the spans to patch here, in the tree of each top-level item they change
(:mod:`runner.config.chunks`); after an edit the item's tree is parsed again incrementally.
tree-sitter is imported only at the first edit: the CLI never loads it.
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
        # How this text indents, as far as it shows (indentation.shown_style, found at its
        # first insertion). A function of the text alone: an edited text finds its own, so the
        # same text always writes new lines the same way, whatever edits led to it (undo,
        # reopening, or a text that no longer shows the indentation it was written in).
        self.style: Any = None

    @property
    def broken(self) -> bool:
        return bool(self.tree.root_node.has_error)

    def edited(self, body: bytes, patches: list[tuple[int, int, bytes]], *, reparse: bool = True) -> Cst:
        """The tree of ``body``, which is this text with ``patches`` (start, end, new bytes;
        sorted, not overlapping) applied; this tree stays as it is (it may be cached under
        its own text).

        Parsed incrementally from this tree; or, with ``reparse=False``, only moved: right
        when each patch swaps one scalar for another of the same kind on its line (a rename,
        a new value), which a parse would read as the same nodes. An incremental parse after
        a change inside a flow list (an edge) costs as much as a full one.
        """
        tree = self.tree.copy()
        for start, end, new in reversed(patches):  # later ones first: earlier offsets stay valid
            row, col = _point(self.body, start)
            lines = new.count(b"\n")
            tree.edit(
                start_byte=start,
                old_end_byte=end,
                new_end_byte=start + len(new),
                start_point=(row, col),
                old_end_point=_point(self.body, end),
                new_end_point=(row + lines, len(new) - new.rfind(b"\n") - 1 if lines else col + len(new)),
            )
        fresh = Cst.__new__(Cst)
        fresh.body, fresh.tree = body, _parser().parse(body, tree) if reparse else tree
        fresh.style = None
        return fresh

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
    if not props and inner.type == "plain_scalar":
        if text == "<<":  # a merge key: PyYAML reads it only as a key, never alone
            return text
        if _SIMPLE_KEY.match(text) and text.lower() not in _NOT_STRINGS:
            return text
    return _scalar_value(body[node.start_byte : node.end_byte].decode("utf-8"))


@cache
def _scalar_value(text: str) -> Any:
    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:  # a key PyYAML reads only in its mapping (a tag of its own...)
        raise PatchImpossible("a mapping key that is not a plain value") from None


_PLAIN_TOKEN = re.compile(r"[A-Za-z0-9_.][^\n]*\Z")


def same_token(node: Any, text: str, in_flow: bool) -> bool:
    """``text`` in place of scalar ``node`` reads as one scalar of the same kind on that line."""
    if "\n" in text or node.type not in SCALARS or node.type == "block_scalar":
        return False
    if node.type == "plain_scalar":
        plain = _PLAIN_TOKEN.match(text) and ": " not in text and " #" not in text and text[-1] not in " :"
        return bool(plain) and not (in_flow and any(c in text for c in ",[]{}"))
    quote = "'" if node.type == "single_quote_scalar" else '"'
    return len(text) >= 2 and text[0] == text[-1] == quote


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


def in_flow(node: Any) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type in ("flow_mapping", "flow_sequence"):
            return True
        parent = parent.parent
    return False


def content_end(body: bytes, node: Any) -> int:
    """The end of a node without the line breaks tree-sitter counts in at the end of a file."""
    end = node.end_byte
    while end > node.start_byte and body[end - 1 : end] in (b"\n", b"\r"):
        end -= 1
    return end


def entry_start(node: Any) -> int:
    """Where an entry begins: a pair at its key, a list item at its dash."""
    if node.type == "block_mapping_pair":
        key = node.child_by_field_name("key")
        return key.start_byte if key is not None else node.start_byte
    return node.start_byte


def is_flow_mapping(item: Any) -> bool:
    inner, _props = unwrap(item_value(item))
    return inner is not None and inner.type == "flow_mapping"


def enclosing_line_entry(body: bytes, node: Any) -> Any | None:
    """The smallest block pair or list item around ``node`` that starts its own line."""
    while node is not None:
        if node.type in ("block_mapping_pair", "block_sequence_item") and starts_line(
            body, entry_start(node)
        ):
            return node
        node = node.parent
    return None


def path_of(entry: Any, body: bytes, base: int = 0) -> tuple[Any, ...]:
    """The config path of an entry node, walking up to the document; ``base`` is the index
    of the text's first top-level item among the file's (a text of some items alone)."""
    path: list[Any] = []
    node = entry
    while node is not None:
        parent = node.parent
        if (
            node.type in ("block_mapping_pair", "flow_pair")
            and parent is not None
            and parent.type in MAPPINGS
        ):
            path.append(key_of(node.child_by_field_name("key"), body))
        elif (
            parent is not None
            and parent.type in SEQUENCES
            and node.type in ("block_sequence_item", "flow_node")
        ):
            path.append(next(i for i, c in enumerate(entries(parent)) if c.id == node.id))
        node = parent
    path.reverse()
    if base and path and isinstance(path[0], int):
        path[0] += base
    return tuple(path)
