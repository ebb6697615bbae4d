"""Small checks and look-ups shared by the edit modules beyond ``edits.py``
(``node_edits``, ``task_edits``, ``pipeline_edits``, ``endpoint_edits``).

They work on the ruamel tree inside ``YamlDocument.apply`` and raise ``EditError``
subclasses with a sentence fit for a tooltip.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from runner.config.edits import _find, _items, _named
from runner.config.errors import EditError, UnknownNameError


def node_body(tree: Any, pipeline: str, node: str) -> Any:
    """The mapping of node ``node`` of pipeline ``pipeline``."""
    return _named(_find(tree, "pipeline", pipeline).get("nodes"), node, "node")


def node_step(tree: Any, node: Any) -> Any | None:
    """The step mapping a node runs: its ``step:``, or its task blueprint's step (None if unknown)."""
    step = node.get("step")
    if step is None and isinstance(node.get("task"), str):
        try:
            step = _find(tree, "task", node["task"]).get("step")
        except UnknownNameError:
            return None
    for _i, body in _items(tree, "step"):
        if body.get("name") == step:
            return body
    return None


def spec_names(step: Any, table: str) -> list[str]:
    """Names in a step's ``parameters`` / ``inputs`` / ``environment-variables`` list."""
    items = step.get(table) if isinstance(step, dict) else None
    return [str(i["name"]) for i in items or [] if isinstance(i, dict) and "name" in i]


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


def drop_if_empty(mapping: Any, key: str) -> None:
    """Remove ``mapping[key]`` when it became an empty list or mapping."""
    if key in mapping and isinstance(mapping[key], list | dict) and not mapping[key]:
        del mapping[key]


def block_list(values: Iterable[Any]) -> CommentedSeq:
    return CommentedSeq(values)


def flow_list(values: Iterable[Any]) -> CommentedSeq:
    """A ``[a, b]`` list: short value lists read best inline."""
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


def mapping(*pairs: tuple[str, Any]) -> CommentedMap:
    return CommentedMap([(k, v) for k, v in pairs if v is not None])


def insert_top_level(tree: Any, kind: str, body: CommentedMap, after: tuple[str, ...] = ()) -> None:
    """Add ``- <kind>: body`` after the last item of ``kind``, else after the last of ``after``,
    else at the end."""
    index = None
    for k in (kind, *after):
        found = [i for i, _ in _items(tree, k)]
        if found:
            index = max(found) + 1
            break
    tree.insert(len(tree) if index is None else index, CommentedMap([(kind, body)]))


def unique_name(base: str, taken: Iterable[str]) -> str:
    taken = set(taken)
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name
