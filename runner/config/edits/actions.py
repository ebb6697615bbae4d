"""Edits of a node's ``actions``: ``when`` an event happens, ``if`` a condition holds,
``then`` do something (stop the pipeline, require approval…)."""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap

from runner.config.document import YamlDocument
from runner.config.edits._tree import as_list, check_choice, drop_if_empty, node_body, set_or_delete
from runner.config.errors import EditError, UnknownNameError

__all__ = ["ACTION_KEYS", "THEN", "WHEN", "add_action", "remove_action", "set_action_field"]

WHEN = ("node-starting", "node-complete", "node-error")
THEN = ("stop-pipeline", "error-pipeline", "require-approval", "noop")
ACTION_KEYS = ("when", "if", "then")


def _check_action_value(key: str, value: Any) -> None:
    check_choice(key, ACTION_KEYS, "An action key")
    values = value if isinstance(value, list) else [value]
    if key == "if":
        if value is not None and not all(isinstance(v, str) and v.strip() for v in values):
            raise EditError("An action's if is an expression such as metadata.accuracy > 0.9")
        return
    if value is None or not values:
        raise EditError(f"An action needs a {key!r} value")
    for v in values:
        check_choice(v, WHEN if key == "when" else THEN, f"An action's {key}")


def _actions(tree: Any, pipeline: str, node: str, index: int | None = None) -> Any:
    actions = node_body(tree, pipeline, node).get("actions")
    if index is not None and not (isinstance(actions, list) and 0 <= index < len(actions)):
        raise UnknownNameError(f'Node "{node}" has no action number {index + 1}')
    return actions


def add_action(doc: YamlDocument, pipeline: str, node: str, action: dict[str, Any]) -> None:
    for key in action:
        _check_action_value(key, action[key])
    for key in ("when", "then"):
        _check_action_value(key, action.get(key))

    def mutate(tree: Any) -> None:
        actions = as_list(node_body(tree, pipeline, node), "actions")
        actions.append(CommentedMap((k, action[k]) for k in ACTION_KEYS if action.get(k) is not None))

    doc.apply(mutate)


def remove_action(doc: YamlDocument, pipeline: str, node: str, index: int) -> None:
    def mutate(tree: Any) -> None:
        del _actions(tree, pipeline, node, index)[index]
        drop_if_empty(node_body(tree, pipeline, node), "actions")

    doc.apply(mutate)


def set_action_field(doc: YamlDocument, pipeline: str, node: str, index: int, key: str, value: Any) -> None:
    """Set ``when`` / ``if`` / ``then`` of action number ``index`` (``if`` None: remove it)."""
    _check_action_value(key, value)

    def mutate(tree: Any) -> None:
        action = _actions(tree, pipeline, node, index)[index]
        if not isinstance(action, dict):
            raise EditError(f"Action number {index + 1} is not a mapping; fix it in the YAML view")
        set_or_delete(action, key, value)

    doc.apply(mutate)
