"""Edits of a node's ``override``: what the node changes of its step for this pipeline.

Overrides are merged by name onto the step at run time (``Override.merge_with_step``), so an
override parameter/input/variable is ``{name, default}``; clearing its value removes it.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap

from runner.config import query
from runner.config.document import YamlDocument
from runner.config.edits._tree import (
    as_list,
    check_choice,
    drop_if_empty,
    named,
    node_body,
    set_or_delete,
    spec_names,
)
from runner.config.errors import DuplicateNameError, EditError, UnknownNameError

__all__ = [
    "OVERRIDE_KEYS",
    "OVERRIDE_SCALARS",
    "OVERRIDE_TABLES",
    "rename_override_variable",
    "set_override_extra",
    "set_override_field",
    "set_override_value",
]

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
            set_or_delete(override, key, value)
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
        step = query.node_step(tree, body)
        if table != "environment-variables" and step is not None and name not in spec_names(step, table):
            raise UnknownNameError(f'Step "{step.get("name")}" has no {table[:-1]} named "{name}"')
        override = _override(body, create=value is not None)
        if override is None:
            return
        entries = as_list(override, table)
        entry = next((i for i in entries if isinstance(i, dict) and i.get("name") == name), None)
        if value is None:
            if entry is not None:
                entry.pop("default", None)
                if set(entry) <= {"name", "type"}:
                    entries.remove(entry)
        elif entry is None:
            entries.append(CommentedMap([("name", name), ("default", value)]))
        else:
            set_or_delete(entry, "default", value)
        _tidy_override(body)

    doc.apply(mutate)


def rename_override_variable(doc: YamlDocument, pipeline: str, node: str, old: str, new: str) -> None:
    """Rename an environment variable this node's override sets."""
    if not isinstance(new, str) or not new.strip() or any(c.isspace() for c in new):
        raise EditError("An environment variable name cannot be empty or contain spaces")

    def mutate(tree: Any) -> None:
        override = _override(node_body(tree, pipeline, node), create=False) or {}
        variables = override.get("environment-variables") or []
        names = [i.get("name") for i in variables if isinstance(i, dict)]
        if old not in names:
            raise UnknownNameError(f'Node "{node}" does not override a variable named "{old}"')
        if new != old and new in names:
            raise DuplicateNameError(f'Node "{node}" already overrides a variable named "{new}"')
        named(variables, old, "variable")["name"] = new

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
            set_or_delete(override, key, value)
        _tidy_override(body)

    doc.apply(mutate)
