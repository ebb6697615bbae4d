"""Edits of one pipeline node beyond its name and step: type, ``override`` and ``actions``.

Overrides are merged by name onto the step at run time (``Override.merge_with_step``), so an
override parameter/input/variable is ``{name, default}``; clearing its value removes it.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap

from runner.config.document import YamlDocument
from runner.config.edit_helpers import check_choice, drop_if_empty, node_body, node_step, spec_names
from runner.config.edits import _find, _list, _named, _set_or_delete
from runner.config.errors import DuplicateNameError, EditError, UnknownNameError

# Keys of ``override`` that the structured editor owns; the rest is "advanced" raw YAML.
OVERRIDE_TABLES = ("parameters", "inputs", "environment-variables")
OVERRIDE_SCALARS = ("image", "command")
OVERRIDE_KEYS = (
    *OVERRIDE_SCALARS,
    *OVERRIDE_TABLES,
    "mounts",
    "environment",
    "autorestart",
    "runtime-config-preset",
)
WHEN = ("node-starting", "node-complete", "node-error")
THEN = ("stop-pipeline", "error-pipeline", "require-approval", "noop")
ACTION_KEYS = ("when", "if", "then")


def set_node_type(doc: YamlDocument, pipeline: str, node: str, type: str) -> None:
    """Switch a node between ``execution`` and ``task``. A task node made from a blueprint
    (``task:``) gets the blueprint's step back as ``step:``, in the same place."""
    check_choice(type, ("execution", "task"), "A node's type")

    def mutate(tree: Any) -> None:
        body = node_body(tree, pipeline, node)
        if body.get("type") == "deployment":
            raise EditError("A deployment node cannot become an execution or a task node")
        if type == "execution" and "task" in body:
            step = _find(tree, "task", body["task"]).get("step")
            if not step:
                raise EditError(f'Task "{body["task"]}" names no step; give it one first')
            replace_key(body, "task", "step", step)
        _set_or_delete(body, "type", type)

    doc.apply(mutate)


def replace_key(mapping: Any, old: str, new: str, value: Any) -> None:
    """Put ``new: value`` where ``old`` was (keeps the node's key order)."""
    position = list(mapping).index(old)
    del mapping[old]
    mapping.insert(position, new, value)


# -- override ------------------------------------------------------------------------------


def _override(body: Any, create: bool) -> Any:
    override = body.get("override")
    if not isinstance(override, dict):
        if override is not None and not create:
            raise EditError("This node's override is not a mapping; fix it in the YAML view")
        if not create:
            return None
        override = body["override"] = CommentedMap()
    return override


def _tidy_override(body: Any) -> None:
    override = body.get("override")
    if isinstance(override, dict):
        for key in OVERRIDE_TABLES:
            drop_if_empty(override, key)
        if not override:
            del body["override"]


def set_override_field(doc: YamlDocument, pipeline: str, node: str, key: str, value: Any) -> None:
    """Set (``None``: remove) ``override.<key>``, e.g. ``image`` or ``command``."""
    check_choice(key, OVERRIDE_KEYS, "An override key")
    if key in OVERRIDE_TABLES and value is not None and not isinstance(value, list):
        raise EditError(f"override {key} must be a list of {{name, default}} items")
    if key in ("image", "environment") and value is not None and not str(value).strip():
        value = None

    def mutate(tree: Any) -> None:
        body = node_body(tree, pipeline, node)
        override = _override(body, create=value is not None)
        if override is not None:
            _set_or_delete(override, key, value)
            _tidy_override(body)

    doc.apply(mutate)


def set_override_value(
    doc: YamlDocument, pipeline: str, node: str, table: str, name: str, value: Any
) -> None:
    """Override the default of one step parameter / input / environment variable of a node;
    ``None`` removes that override (the step's default applies again)."""
    check_choice(table, OVERRIDE_TABLES, "An override table")
    if isinstance(value, dict):
        raise EditError("An override value is a single value or a list, not a mapping")

    def mutate(tree: Any) -> None:
        body = node_body(tree, pipeline, node)
        step = node_step(tree, body)
        if table != "environment-variables" and step is not None and name not in spec_names(step, table):
            raise UnknownNameError(f'Step "{step.get("name")}" has no {table[:-1]} named "{name}"')
        override = _override(body, create=value is not None)
        if override is None:
            return
        items = _list(override, table)
        entry = next((i for i in items if isinstance(i, dict) and i.get("name") == name), None)
        if value is None:
            if entry is not None:
                entry.pop("default", None)
                if set(entry) <= {"name", "type"}:
                    items.remove(entry)
        elif entry is None:
            items.append(CommentedMap([("name", name), ("default", value)]))
        else:
            _set_or_delete(entry, "default", value)
        _tidy_override(body)

    doc.apply(mutate)


def rename_override_variable(doc: YamlDocument, pipeline: str, node: str, old: str, new: str) -> None:
    """Rename an environment variable this node's override sets."""
    if not isinstance(new, str) or not new.strip() or any(c.isspace() for c in new):
        raise EditError("An environment variable name cannot be empty or contain spaces")

    def mutate(tree: Any) -> None:
        override = _override(node_body(tree, pipeline, node), create=False) or {}
        items = override.get("environment-variables") or []
        names = [i.get("name") for i in items if isinstance(i, dict)]
        if old not in names:
            raise UnknownNameError(f'Node "{node}" does not override a variable named "{old}"')
        if new != old and new in names:
            raise DuplicateNameError(f'Node "{node}" already overrides a variable named "{new}"')
        _named(items, old, "variable")["name"] = new

    doc.apply(mutate)


def set_override_extra(doc: YamlDocument, pipeline: str, node: str, extra: dict[str, Any] | None) -> None:
    """Replace the override keys the structured editor does not show (mounts, environment…)."""
    extra = extra or {}
    if not isinstance(extra, dict):
        raise EditError("The advanced override is a YAML mapping (mounts, environment, autorestart…)")
    for key in extra:
        check_choice(key, OVERRIDE_KEYS, "An override key")

    def mutate(tree: Any) -> None:
        body = node_body(tree, pipeline, node)
        override = _override(body, create=bool(extra))
        if override is None:
            return
        shown = (*OVERRIDE_SCALARS, *OVERRIDE_TABLES)
        for key in [k for k in override if k not in shown and k not in extra]:
            del override[key]
        for key, value in extra.items():
            _set_or_delete(override, key, value)
        _tidy_override(body)

    doc.apply(mutate)


# -- actions -------------------------------------------------------------------------------


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
        items = _list(node_body(tree, pipeline, node), "actions")
        items.append(CommentedMap((k, action[k]) for k in ACTION_KEYS if action.get(k) is not None))

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
        _set_or_delete(action, key, value)

    doc.apply(mutate)
