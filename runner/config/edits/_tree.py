"""Private helpers of the edit modules: finding, checking and building parts of the tree an
edit mutates (inside ``YamlDocument.apply``).

Look-ups raise ``UnknownNameError`` with a sentence fit for a tooltip, checks raise
``EditError``; the plain, non-raising look-ups are in :mod:`runner.config.query`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from runner.config import query
from runner.config.document import to_plain
from runner.config.errors import EditError, UnknownNameError

NODE_TYPES = ("execution", "task", "deployment")


# -- finding things --------------------------------------------------------------------------


def items(tree: Any, kind: str) -> Iterator[tuple[int, Any]]:
    return query.items(tree, kind)


def find(tree: Any, kind: str, name: str) -> Any:
    """The body of the top-level ``kind`` item called ``name``."""
    body = query.item_body(tree, kind, name)
    if body is None:
        raise UnknownNameError(f'There is no {kind} named "{name}"')
    return body


def named(seq: Any, name: str, what: str) -> Any:
    found = query.named(seq, name)
    if found is None:
        raise UnknownNameError(f'There is no {what} named "{name}"')
    return found


def has_named(seq: Any, name: str) -> bool:
    return query.named(seq, name) is not None


def node_body(tree: Any, pipeline: str, node: str) -> Any:
    """The mapping of node ``node`` of pipeline ``pipeline``."""
    return named(find(tree, "pipeline", pipeline).get("nodes"), node, "node")


def spec_names(step: Any, table: str) -> list[str]:
    """Names in a step's ``parameters`` / ``inputs`` / ``environment-variables`` list."""
    return query.names(step.get(table) if isinstance(step, dict) else None)


# -- checks ------------------------------------------------------------------------------------


def check_name(name: str, what: str) -> None:
    if not isinstance(name, str) or not name.strip():
        raise EditError(f"A {what} name cannot be empty")
    if what == "node" and "." in name:
        raise EditError("A node name cannot contain '.': edges use dots to separate node, type and key")


def check_choice(value: Any, choices: Iterable[str], what: str) -> None:
    choices = tuple(choices)
    if value not in choices:
        raise EditError(f"{what} must be one of {', '.join(choices)}, not {value!r}")


def check_number(value: Any, what: str, *, integer: bool = False) -> None:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise EditError(f"{what} must be {'a whole number' if integer else 'a number'}, not {value!r}")


def check_strings(values: Any, what: str) -> None:
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise EditError(f"{what} must be a list of non-empty texts")


# -- changing mappings and lists ---------------------------------------------------------------


def as_list(mapping: Any, key: str) -> Any:
    """``mapping[key]`` as a list, created (block style) when missing."""
    if not isinstance(mapping.get(key), list):
        mapping[key] = CommentedSeq()
    return mapping[key]


def set_or_delete(mapping: Any, key: str, value: Any) -> None:
    if value is None:
        mapping.pop(key, None)
    elif key not in mapping or not same_value(mapping[key], value):
        mapping[key] = value


def same_value(current: Any, value: Any) -> bool:
    """Equal and of the same plain type: then the value is left alone, since re-assigning
    would drop its anchor or quoting (ruamel keeps those on its own scalar types)."""
    plain = to_plain(current)
    return bool(plain == value and type(plain) is type(value))


def insert_key(mapping: Any, position: int, key: str, value: Any) -> None:
    """Put ``key: value`` at ``position`` among a mapping's keys (plain dicts keep their order)."""
    if hasattr(mapping, "insert"):  # a ruamel mapping (the re-dump fallback): keeps its comments
        mapping.insert(position, key, value)
        return
    pairs = [(k, v) for k, v in mapping.items() if k != key]
    pairs.insert(position, (key, value))
    mapping.clear()
    mapping.update(pairs)


def replace_key(mapping: Any, old: str, new: str, value: Any) -> None:
    """Put ``new: value`` where ``old`` was (keeps the mapping's key order)."""
    position = list(mapping).index(old)
    del mapping[old]
    insert_key(mapping, position, new, value)


def rename_key(mapping: Any, old: str, new: str) -> None:
    if isinstance(mapping, dict) and old in mapping:
        replace_key(mapping, old, new, mapping[old])


def rename_named(seq: Any, old: str, new: str) -> None:
    """Rename every mapping called ``old`` in ``seq``."""
    for _i, entry in query.named_items(seq):
        if entry["name"] == old:
            entry["name"] = new


def drop_if_empty(mapping: Any, key: str) -> None:
    """Remove ``mapping[key]`` when it became an empty list or mapping."""
    if key in mapping and isinstance(mapping[key], list | dict) and not mapping[key]:
        del mapping[key]


def replace_items(current: Any, values: list[Any]) -> None:
    """Make list ``current`` hold ``values``, in place (keeps its style and comments)."""
    if list(current) != values:
        for i in reversed(range(len(current))):
            del current[i]
        current.extend(values)


# -- new parts ---------------------------------------------------------------------------------


def block_list(values: Iterable[Any]) -> CommentedSeq:
    return CommentedSeq(values)


def flow_list(values: Iterable[Any]) -> CommentedSeq:
    """A ``[a, b]`` list: short value lists read best inline."""
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


def mapping(*pairs: tuple[str, Any]) -> CommentedMap:
    """A new mapping of the pairs whose value is not None."""
    return CommentedMap([(k, v) for k, v in pairs if v is not None])


def insert_top_level(tree: Any, kind: str, body: CommentedMap, after: tuple[str, ...] = ()) -> None:
    """Add ``- <kind>: body`` after the last item of ``kind``, else after the last of ``after``,
    else at the end."""
    index = None
    for k in (kind, *after):
        found = [i for i, _ in items(tree, k)]
        if found:
            index = max(found) + 1
            break
    tree.insert(len(tree) if index is None else index, CommentedMap([(kind, body)]))


def remove_top_level(tree: Any, kind: str, name: str) -> None:
    """Delete the top-level ``- <kind>:`` item called ``name``."""
    for index, body in items(tree, kind):
        if body.get("name") == name:
            del tree[index]
            return
    raise UnknownNameError(f'There is no {kind} named "{name}"')


def unique_name(base: str, taken: Iterable[str]) -> str:
    taken = set(taken)
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name
