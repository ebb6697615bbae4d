"""Edits of a pipeline's nodes: add, remove, rename, their type and plain fields.

Removing or renaming a node carries over to the edges and pipeline parameter targets that
name it, so the pipeline stays consistent. Overrides and actions have their own modules.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap

from runner.config import query
from runner.config.document import YamlDocument
from runner.config.edits._tree import (
    NODE_TYPES,
    as_list,
    check_choice,
    check_name,
    find,
    has_named,
    named,
    node_body,
    replace_key,
    set_or_delete,
)
from runner.config.edits.rename import map_sockets
from runner.config.errors import DuplicateNameError, EditError

__all__ = ["NODE_TYPES", "add_node", "remove_node", "rename_node", "set_node_field", "set_node_type"]


def add_node(doc: YamlDocument, pipeline: str, name: str, step: str, type: str = "execution") -> None:
    """Add a node using ``step`` (for a deployment node, ``step`` names the deployment)."""
    check_name(name, "node")
    if type not in NODE_TYPES:
        raise EditError(f"Unknown node type {type!r}; use one of {', '.join(NODE_TYPES)}")

    def mutate(tree: Any) -> None:
        nodes = as_list(find(tree, "pipeline", pipeline), "nodes")
        if has_named(nodes, name):
            raise DuplicateNameError(f'Pipeline "{pipeline}" already has a node named "{name}"')
        ref_key = "deployment" if type == "deployment" else "step"
        nodes.append(CommentedMap([("name", name), ("type", type), (ref_key, step)]))

    doc.apply(mutate)


def remove_node(doc: YamlDocument, pipeline: str, name: str) -> None:
    """Remove a node and every edge that touches it."""

    def mutate(tree: Any) -> None:
        body = find(tree, "pipeline", pipeline)
        nodes = body.get("nodes") or []
        nodes.remove(named(nodes, name, "node"))
        edges = body.get("edges") or []
        for index in reversed(range(len(edges))):
            source, target = query.edge_sockets(edges[index])
            if query.socket_node(source) == name or query.socket_node(target) == name:
                del edges[index]
        _drop_parameter_targets(body, name)

    doc.apply(mutate)


def _drop_parameter_targets(pipeline: Any, node: str) -> None:
    """A removed node's parameters are no longer pipeline parameter targets."""
    for param in pipeline.get("parameters") or []:
        for key in ("target", "targets") if isinstance(param, dict) else ():
            value = param.get(key)
            if isinstance(value, str) and query.socket_node(value) == node:
                del param[key]
            elif isinstance(value, list):
                for index in reversed(range(len(value))):
                    if query.socket_node(value[index]) == node:
                        del value[index]


def rename_node(doc: YamlDocument, pipeline: str, old: str, new: str) -> None:
    check_name(new, "node")

    def rename(socket: str) -> str:
        return new + socket[len(old) :] if query.socket_node(socket) == old else socket

    def mutate(tree: Any) -> None:
        body = find(tree, "pipeline", pipeline)
        nodes = body.get("nodes") or []
        if new != old and has_named(nodes, new):
            raise DuplicateNameError(f'Pipeline "{pipeline}" already has a node named "{new}"')
        named(nodes, old, "node")["name"] = new
        map_sockets(body, rename)

    doc.apply(mutate)


def set_node_field(doc: YamlDocument, pipeline: str, node: str, key: str, value: Any) -> None:
    if key == "name":
        rename_node(doc, pipeline, node, value)
        return
    doc.apply(lambda tree: set_or_delete(node_body(tree, pipeline, node), key, value))


def set_node_type(doc: YamlDocument, pipeline: str, node: str, type: str) -> None:
    """Switch a node between ``execution`` and ``task``. A task node made from a blueprint
    (``task:``) gets the blueprint's step back as ``step:``, in the same place."""
    check_choice(type, ("execution", "task"), "A node's type")

    def mutate(tree: Any) -> None:
        body = node_body(tree, pipeline, node)
        if body.get("type") == "deployment":
            raise EditError("A deployment node cannot become an execution or a task node")
        if type == "execution" and "task" in body:
            step = find(tree, "task", body["task"]).get("step")
            if not step:
                raise EditError(f'Task "{body["task"]}" names no step; give it one first')
            replace_key(body, "task", "step", step)
        set_or_delete(body, "type", type)

    doc.apply(mutate)
