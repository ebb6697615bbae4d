"""Look things up in a valohai.yaml's data: the one place that knows where items live.

Every function takes the file's data as plain lists and dicts (``LoadedConfig.data``, or the
tree an edit works on) and tolerates any shape a file that lint rejects can have: a missing
or malformed part is ``None`` / empty, never an exception. Use these instead of writing
``.get("nodes") or []`` walks by hand.

Top-level items (``- step:``, ``- pipeline:``, ``- task:``, ``- endpoint:``; a
``blueprint`` counts as a pipeline):

- ``items(data, kind)``: ``(index, body)`` of every item of that kind, in file order
- ``item_body(data, kind, name)``: the body of the item called ``name``
- ``item_path(data, kind, name)``: its config path, e.g. ``(3, "pipeline")``
- ``index(data, kind)``: ``{name: body}`` of them all (the first of a repeated name wins), for
  many look-ups in a row

Named lists (nodes, parameters, inputs, files…):

- ``named_items(seq)``: ``(index, mapping)`` of every mapping with a string ``name``
- ``named(seq, name)``: the mapping called ``name``
- ``named_index(seq, name)``: its index in ``seq``
- ``names(seq)``: the names, e.g. a step's parameter names via ``names(step.get("parameters"))``
- ``mappings(seq)``: the mappings of a list, named or not (a form's rows)

Pipelines and their nodes:

- ``nodes(pipeline)``: ``(index, node)`` of a pipeline body's nodes
- ``node_body(data, pipeline, node)``: the mapping of one node
- ``node_path(data, pipeline, node)``: its config path, e.g. ``(3, "pipeline", "nodes", 1)``
- ``node_step_name(data, node)``: the step a node runs (its ``step:``, or its task blueprint's)
- ``node_step(data, node)``: that step's body (pass ``steps=`` / ``tasks=`` from ``index`` when
  looking up many nodes)
- ``edges(pipeline)``: the pipeline's edge list (empty when missing or malformed)
- ``edge_sockets(edge)``: ``(source, target)`` of an edge in either form
- ``socket_node(socket)``: the node name at the start of ``node.type.key``
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

ConfigPath = tuple[str | int, ...]
PIPELINE_KEYS = ("pipeline", "blueprint")


def _keys(kind: str) -> tuple[str, ...]:
    return PIPELINE_KEYS if kind == "pipeline" else (kind,)


def items(data: Any, kind: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(index, body)`` of each top-level ``- <kind>:`` item whose body is a mapping."""
    keys = _keys(kind)
    for index, item in enumerate(data if isinstance(data, list) else ()):
        if isinstance(item, dict):
            for key in keys:
                body = item.get(key)
                if isinstance(body, dict):
                    yield index, body


def item_body(data: Any, kind: str, name: str) -> dict[str, Any] | None:
    """The body of the first top-level ``kind`` item called ``name``."""
    return next((body for _i, body in items(data, kind) if body.get("name") == name), None)


def item_path(data: Any, kind: str, name: str) -> ConfigPath:
    """Config path of a named top-level item's body, e.g. ``(3, "pipeline")``; ``()`` if absent."""
    for index, body in items(data, kind):
        if body.get("name") == name:
            item = data[index]
            return (index, next(k for k in _keys(kind) if item.get(k) is body))
    return ()


def index(data: Any, kind: str) -> dict[str, dict[str, Any]]:
    """``{name: body}`` of the top-level ``kind`` items; the first of a repeated name wins,
    as it does for valohai-yaml."""
    found: dict[str, dict[str, Any]] = {}
    for _i, body in items(data, kind):
        if isinstance(body.get("name"), str):
            found.setdefault(body["name"], body)
    return found


def named_items(seq: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(index, mapping)`` of the mappings in ``seq`` that have a string ``name``."""
    for index, entry in enumerate(seq if isinstance(seq, list) else ()):
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            yield index, entry


def named(seq: Any, name: str) -> dict[str, Any] | None:
    """The first mapping in ``seq`` called ``name``."""
    return next((entry for _i, entry in named_items(seq) if entry["name"] == name), None)


def named_index(seq: Any, name: str) -> int | None:
    """The index in ``seq`` of the first mapping called ``name``."""
    return next((index for index, entry in named_items(seq) if entry["name"] == name), None)


def mappings(seq: Any) -> list[dict[str, Any]]:
    """The mappings in ``seq`` (a step's ``parameters``, an endpoint's ``files``…); [] when not a list."""
    return [entry for entry in seq if isinstance(entry, dict)] if isinstance(seq, list) else []


def names(seq: Any) -> list[str]:
    """The names in a list of named mappings (a step's ``parameters``, a pipeline's ``nodes``…)."""
    return [entry["name"] for _i, entry in named_items(seq)]


def nodes(pipeline: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(index, node)`` of the node mappings of a pipeline body."""
    found = pipeline.get("nodes") if isinstance(pipeline, dict) else None
    for index, node in enumerate(found if isinstance(found, list) else ()):
        if isinstance(node, dict):
            yield index, node


def node_body(data: Any, pipeline: str, node: str) -> dict[str, Any] | None:
    """The mapping of node ``node`` of pipeline ``pipeline``."""
    return named((item_body(data, "pipeline", pipeline) or {}).get("nodes"), node)


def node_path(data: Any, pipeline: str, node: str) -> ConfigPath:
    """Config path of a node, e.g. ``(3, "pipeline", "nodes", 1)``; ``()`` if absent."""
    base = item_path(data, "pipeline", pipeline)
    index = named_index(data[base[0]][base[1]].get("nodes"), node) if base else None
    return () if index is None else (*base, "nodes", index)


def node_step_name(data: Any, node: Any, *, tasks: dict[str, Any] | None = None) -> str | None:
    """The step a node runs: its ``step:``, or the ``step:`` of the task blueprint it names."""
    if not isinstance(node, dict) or node.get("type") == "deployment":
        return None
    step = node.get("step")
    if step is None and isinstance(node.get("task"), str):
        blueprint = tasks.get(node["task"]) if tasks is not None else item_body(data, "task", node["task"])
        step = (blueprint or {}).get("step")
    return step if isinstance(step, str) else None


def node_step(
    data: Any, node: Any, *, steps: dict[str, Any] | None = None, tasks: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The body of the step a node runs (see :func:`node_step_name`), or None when unknown."""
    name = node_step_name(data, node, tasks=tasks)
    if name is None:
        return None
    return steps.get(name) if steps is not None else item_body(data, "step", name)


def edges(pipeline: Any) -> list[Any]:
    """A pipeline body's edges as written: ``[source, target]`` lists or ``{source, target}`` mappings."""
    found = pipeline.get("edges") if isinstance(pipeline, dict) else None
    return found if isinstance(found, list) else []


def edge_sockets(edge: Any) -> tuple[Any, Any]:
    """``(source, target)`` of an edge in the short or the full form; ``(None, None)`` otherwise."""
    if isinstance(edge, list) and len(edge) == 2:
        return edge[0], edge[1]
    if isinstance(edge, dict):
        return edge.get("source"), edge.get("target")
    return None, None


def socket_node(socket: Any) -> str | None:
    """``train`` of ``train.output.model*``."""
    return socket.split(".", 1)[0] if isinstance(socket, str) else None
