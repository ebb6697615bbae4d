"""Renames that follow references, shared by the section modules.

A top-level item (step, task blueprint, pipeline) is named by other items' keys: a step by
task blueprints' ``step:`` and nodes' ``step:``, a blueprint by nodes' ``task:``.
Ports are named inside ``node.type.key`` socket strings (edge ends and pipeline
parameter targets), which :func:`map_sockets` rewrites.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runner.config import query
from runner.config.document import YamlDocument
from runner.config.edits._tree import check_name, find
from runner.config.errors import DuplicateNameError

# Who names an item of each kind: (top-level kind holding the reference, key), where the
# kind "node" means every node of every pipeline.
REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "step": (("task", "step"), ("node", "step")),
    "task": (("node", "task"),),
    "pipeline": (),
}


def rename_item(doc: YamlDocument, kind: str, old: str, new: str) -> None:
    """Rename the top-level ``kind`` item ``old`` and every key in :data:`REFERENCES` naming it."""
    check_name(new, kind)

    def mutate(tree: Any) -> None:
        if new != old and query.item_body(tree, kind, new) is not None:
            raise DuplicateNameError(f'A {kind} named "{new}" already exists')
        find(tree, kind, old)["name"] = new
        for holder, key in REFERENCES[kind]:
            for body in _holders(tree, holder):
                if body.get(key) == old:
                    body[key] = new

    doc.apply(mutate)


def _holders(tree: Any, kind: str) -> list[Any]:
    if kind != "node":
        return [body for _i, body in query.items(tree, kind)]
    return [node for _i, pipeline in query.items(tree, "pipeline") for _j, node in query.nodes(pipeline)]


def map_sockets(pipeline: Any, fix: Callable[[str], str]) -> None:
    """Apply ``fix`` to every ``node.type.key`` string of a pipeline: edge ends and
    pipeline parameter targets. Only changed strings are written (keeps their quoting)."""

    def update(container: Any, key: Any) -> None:
        value = container[key]
        if isinstance(value, str) and fix(value) != value:
            container[key] = fix(value)

    for edge in pipeline.get("edges") or []:  # edges that are not a list: refused by apply
        if isinstance(edge, list):
            for i in range(len(edge)):
                update(edge, i)
        elif isinstance(edge, dict):
            for key in ("source", "target"):
                if key in edge:
                    update(edge, key)
    for param in pipeline.get("parameters") or []:
        if not isinstance(param, dict):
            continue
        for key in ("target", "targets"):  # "targets" may also be a single string
            if key in param:
                update(param, key)
        if isinstance(param.get("targets"), list):
            for i in range(len(param["targets"])):
                update(param["targets"], i)


def rename_port(pipeline: Any, nodes: set[Any], kind: str, old: str, new: str) -> None:
    """``<node>.<kind>.<old>`` → ``<node>.<kind>.<new>`` for each node in ``nodes``."""

    def fix(socket: str) -> str:
        parts = socket.split(".", 2)
        if len(parts) == 3 and parts[0] in nodes and parts[1] == kind and parts[2] == old:
            return f"{parts[0]}.{kind}.{new}"
        return socket

    map_sockets(pipeline, fix)
