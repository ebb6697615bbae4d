"""Edits of a pipeline's own settings: its ``parameters`` (one value fanned out to node
parameters through ``target`` / ``targets``) and ``reuse-executions``.

A parameter written with the single ``target:`` form keeps that form while it has one target;
only a change to several targets turns it into a ``targets:`` list.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap

from runner.config import query
from runner.config.document import YamlDocument
from runner.config.edits._tree import (
    as_list,
    block_list,
    check_name,
    drop_if_empty,
    find,
    has_named,
    insert_key,
    named,
    replace_items,
    replace_key,
    set_or_delete,
)
from runner.config.errors import DuplicateNameError, EditError, UnknownNameError

__all__ = [
    "PARAMETER_FIELDS",
    "add_pipeline_parameter",
    "remove_pipeline_parameter",
    "rename_pipeline_parameter",
    "set_pipeline_parameter_field",
    "set_pipeline_parameter_targets",
    "targets_of",
]

PARAMETER_FIELDS = ("default", "description", "category")


def _params(tree: Any, pipeline: str) -> Any:
    return find(tree, "pipeline", pipeline).get("parameters") or []


def _param(tree: Any, pipeline: str, name: str) -> Any:
    return named(_params(tree, pipeline), name, "pipeline parameter")


def targets_of(param: dict[str, Any]) -> list[str]:
    """A pipeline parameter's targets, whichever form the file uses."""
    value = param.get("targets", param.get("target"))
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def add_pipeline_parameter(
    doc: YamlDocument, pipeline: str, name: str, default: Any = None, targets: list[str] | None = None
) -> None:
    check_name(name, "pipeline parameter")

    def mutate(tree: Any) -> None:
        params = as_list(find(tree, "pipeline", pipeline), "parameters")
        if has_named(params, name):
            raise DuplicateNameError(f'Pipeline "{pipeline}" already has a parameter named "{name}"')
        _check_targets(tree, pipeline, targets or [])
        param = CommentedMap([("name", name)])
        if targets:
            param["targets"] = block_list(targets)
        if default is not None:
            param["default"] = default
        params.append(param)

    doc.apply(mutate)


def remove_pipeline_parameter(doc: YamlDocument, pipeline: str, name: str) -> None:
    def mutate(tree: Any) -> None:
        body = find(tree, "pipeline", pipeline)
        body["parameters"].remove(_param(tree, pipeline, name))
        drop_if_empty(body, "parameters")

    doc.apply(mutate)


def rename_pipeline_parameter(doc: YamlDocument, pipeline: str, old: str, new: str) -> None:
    check_name(new, "pipeline parameter")

    def mutate(tree: Any) -> None:
        if new != old and has_named(_params(tree, pipeline), new):
            raise DuplicateNameError(f'Pipeline "{pipeline}" already has a parameter named "{new}"')
        _param(tree, pipeline, old)["name"] = new

    doc.apply(mutate)


def set_pipeline_parameter_field(doc: YamlDocument, pipeline: str, name: str, key: str, value: Any) -> None:
    """Set (``None``: remove) ``default``, ``description`` or ``category`` of a pipeline parameter."""
    if key == "name":
        rename_pipeline_parameter(doc, pipeline, name, value)
        return
    if key in ("target", "targets"):
        set_pipeline_parameter_targets(doc, pipeline, name, value or [])
        return
    if key not in PARAMETER_FIELDS:
        raise EditError(
            f"A pipeline parameter has no field {key!r}; use one of {', '.join(PARAMETER_FIELDS)}"
        )
    if isinstance(value, dict):
        raise EditError("A pipeline parameter's value is a single value or a list")
    doc.apply(lambda tree: set_or_delete(_param(tree, pipeline, name), key, value))


def _check_targets(tree: Any, pipeline: str, targets: list[str]) -> None:
    nodes = set(query.names(find(tree, "pipeline", pipeline).get("nodes")))
    for target in targets:
        parts = str(target).split(".", 2)
        if len(parts) != 3 or parts[1] != "parameter" or not parts[2]:
            raise EditError(f'A pipeline parameter target looks like node.parameter.name, not "{target}"')
        if parts[0] not in nodes:
            raise UnknownNameError(f'Pipeline "{pipeline}" has no node "{parts[0]}"')


def set_pipeline_parameter_targets(doc: YamlDocument, pipeline: str, name: str, targets: list[str]) -> None:
    """Set the node parameters a pipeline parameter feeds, keeping the file's form when it can."""
    if not isinstance(targets, list) or len(set(targets)) != len(targets):
        raise EditError("Targets are a list of distinct node.parameter.name sockets")

    def mutate(tree: Any) -> None:
        _check_targets(tree, pipeline, targets)
        param = _param(tree, pipeline, name)
        if targets_of(param) == targets:
            return
        key = "target" if "target" in param else "targets"
        current = param.get(key)
        if not targets:
            param.pop(key, None)
        elif len(targets) == 1 and isinstance(current, str):
            param[key] = targets[0]  # a single string stays a single string
        elif isinstance(current, list):
            replace_items(current, targets)
        elif key in param:
            replace_key(param, key, "targets", block_list(targets))
        else:
            position = 1 if "name" in param else 0
            insert_key(param, position, "targets", block_list(targets))

    doc.apply(mutate)
