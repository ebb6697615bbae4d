"""Edits that add whole bodies as they are: a copied node with everything in it (override,
actions, on-error, edge-merge-mode, task or deployment fields), and a copied top-level item
(the step, task blueprint or endpoint a pasted node needs)."""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from runner.config import query
from runner.config.document import YamlDocument
from runner.config.edits._tree import as_list, check_name, find, has_named, items
from runner.config.errors import DuplicateNameError, EditError

__all__ = ["ITEM_KINDS", "add_item", "add_node_body"]

ITEM_KINDS = ("step", "task", "endpoint")


def _tree_of(value: Any) -> Any:
    """Plain data as ruamel containers, so it dumps in block style like the rest of the file."""
    if isinstance(value, dict):
        return CommentedMap((str(k), _tree_of(v)) for k, v in value.items())
    if isinstance(value, list):
        return CommentedSeq(_tree_of(v) for v in value)
    return value


def add_node_body(doc: YamlDocument, pipeline: str, body: dict[str, Any]) -> None:
    """Add a node to ``pipeline`` exactly as ``body`` describes it (its ``name`` included)."""
    if not isinstance(body, dict):
        raise EditError("A node must be a mapping with a name")
    name = body.get("name")
    check_name(name, "node")

    def mutate(tree: Any) -> None:
        nodes = as_list(find(tree, "pipeline", pipeline), "nodes")
        if has_named(nodes, name):
            raise DuplicateNameError(f'Pipeline "{pipeline}" already has a node named "{name}"')
        nodes.append(_tree_of(body))

    doc.apply(mutate)


def add_item(doc: YamlDocument, kind: str, body: dict[str, Any]) -> None:
    """Add a top-level ``- <kind>:`` item after the last one of its kind (before the pipelines
    when the file has none yet)."""
    if kind not in ITEM_KINDS:
        raise EditError(f"Cannot add a {kind!r}; use one of {', '.join(ITEM_KINDS)}")
    name = body.get("name") if isinstance(body, dict) else None
    check_name(name, kind)
    if query.item_body(doc.loaded.data, kind, name) is not None:
        raise DuplicateNameError(f'A {kind} named "{name}" already exists')

    def mutate(tree: Any) -> None:
        same = [i for i, _ in items(tree, kind)]
        pipelines = [i for i, _ in items(tree, "pipeline")]
        index = same[-1] + 1 if same else (pipelines[0] if pipelines else len(tree))
        tree.insert(index, CommentedMap([(kind, _tree_of(body))]))

    doc.apply(mutate)
