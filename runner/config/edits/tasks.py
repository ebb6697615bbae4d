"""Edits of parameter sweeps: top-level ``- task:`` blueprints and the task nodes using them.

A blueprint names a step and varies some of its parameters (``parameters: [{name, style,
rules}]``, or ``parameter-sets`` for manual search). A task node points at it with ``task:``.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from runner.config import query
from runner.config.document import YamlDocument, to_plain
from runner.config.edits._tree import (
    as_list,
    check_choice,
    check_number,
    find,
    flow_list,
    insert_top_level,
    named,
    node_body,
    replace_key,
    set_or_delete,
    spec_names,
    unique_name,
)
from runner.config.edits.rename import rename_item
from runner.config.errors import DuplicateNameError, EditError, UnknownNameError

__all__ = [
    "DISTRIBUTIONS",
    "ON_CHILD_ERROR",
    "STYLE_RULES",
    "TASK_FIELDS",
    "TASK_TYPES",
    "add_variant",
    "check_rule",
    "create_sweep",
    "default_rules",
    "remove_variant",
    "rename_task",
    "set_parameter_sets",
    "set_task_field",
    "set_variant_parameter",
    "set_variant_rule",
    "set_variant_style",
]

TASK_TYPES = ("grid_search", "random_search", "manual_search")
ON_CHILD_ERROR = ("continue-and-error", "continue-and-complete", "stop-all-and-error")
DISTRIBUTIONS = ("uniform", "loguniform", "normal")
# The rules each variant style reads; the first ones are required.
STYLE_RULES: dict[str, tuple[str, ...]] = {
    "single": ("value",),
    "multiple": ("items",),
    "linear": ("start", "end", "step"),
    "logspace": ("start", "end", "count", "base"),
    "random": ("min", "max", "count", "seed", "integerify", "distribution"),
}
_REQUIRED = {"single": 1, "multiple": 1, "linear": 3, "logspace": 3, "random": 2}
_FILL: dict[str, Any] = {"start": 0, "end": 1, "step": 0.1, "count": 4, "min": 0, "max": 1}
TASK_FIELDS = (
    "type",
    "execution-count",
    "stop-condition",
    "on-child-error",
    "reuse-children",
    "description",
    "maximum-queued-executions",
    "execution-batch-size",
)


# -- blueprints and task nodes -------------------------------------------------------------


def _task_names(tree: Any) -> list[str]:
    return [str(b.get("name")) for _i, b in query.items(tree, "task")]


def _blueprint_step(tree: Any, task: str) -> Any | None:
    step = find(tree, "task", task).get("step")
    return query.item_body(tree, "step", step) if isinstance(step, str) else None


def create_sweep(doc: YamlDocument, pipeline: str, node: str) -> str:
    """Add a blueprint for the node's step (named after the node) and point the node at it.
    The first step parameter with a default starts as a one-value list. Returns the name."""
    created: list[str] = []

    def mutate(tree: Any) -> None:
        body = node_body(tree, pipeline, node)
        if body.get("type") == "deployment" or "task" in body or not isinstance(body.get("step"), str):
            raise EditError(f'Node "{node}" has no step to sweep over (it needs step:, not task:)')
        step = query.item_body(tree, "step", body["step"])
        variants = CommentedSeq()
        for param in (step or {}).get("parameters") or []:
            if isinstance(param, dict) and param.get("default") is not None:
                default = to_plain(param["default"])
                values = flow_list(default if isinstance(default, list) else [default])
                rules = CommentedMap([("items", values)])
                variants.append(
                    CommentedMap([("name", param["name"]), ("style", "multiple"), ("rules", rules)])
                )
                break
        name = unique_name(node, _task_names(tree))
        blueprint = CommentedMap(
            [("name", name), ("step", body["step"]), ("type", "grid_search"), ("parameters", variants)]
        )
        insert_top_level(tree, "task", blueprint, after=("step",))
        replace_key(body, "step", "task", name)
        set_or_delete(body, "type", "task")
        created.append(name)

    doc.apply(mutate)
    return created[0]


def rename_task(doc: YamlDocument, old: str, new: str) -> None:
    """Rename a blueprint and every node's ``task:`` that names it."""
    rename_item(doc, "task", old, new)


def set_task_field(doc: YamlDocument, task: str, key: str, value: Any) -> None:
    """Set (``None``: remove) a blueprint field such as ``type`` or ``execution-count``."""
    if key == "name":
        rename_task(doc, task, value)
        return
    check_choice(key, TASK_FIELDS, "A task field")
    if value is not None:
        if key == "type":
            check_choice(value, TASK_TYPES, "A task's type")
        elif key == "on-child-error":
            check_choice(value, ON_CHILD_ERROR, "on-child-error")
        elif key in ("execution-count", "maximum-queued-executions", "execution-batch-size"):
            check_number(value, key, integer=True)
            if value < 1:
                raise EditError(f"{key} must be at least 1")
        elif key == "reuse-children" and not isinstance(value, bool):
            raise EditError("reuse-children is true or false")
        elif key in ("stop-condition", "description") and not str(value).strip():
            value = None
    doc.apply(lambda tree: set_or_delete(find(tree, "task", task), key, value))


# -- variant parameters --------------------------------------------------------------------


def default_rules(style: str, default: Any, old: dict[str, Any] | None = None) -> dict[str, Any]:
    """Rules for ``style``: what ``old`` has that the style reads, the rest filled sensibly."""
    check_choice(style, STYLE_RULES, "A variant style")
    old = old or {}
    known = [v for v in (old.get("value"), *(old.get("items") or []), default) if v is not None]
    rules = {k: old[k] for k in STYLE_RULES[style] if k in old}
    if style == "single" and "value" not in rules:
        rules["value"] = known[0] if known else 0
    elif style == "multiple" and "items" not in rules:
        rules["items"] = [known[0]] if known else []
    elif style in ("linear", "logspace", "random"):
        fill = {**_FILL, **({"start": -3, "end": 0} if style == "logspace" else {})}
        for key in STYLE_RULES[style][: _REQUIRED[style]]:
            rules.setdefault(key, fill[key])
    return rules


def check_rule(style: str, key: str, value: Any) -> None:
    check_choice(style, STYLE_RULES, "A variant style")
    if key not in STYLE_RULES[style]:
        raise EditError(f"A {style} variant has no rule {key!r}; it reads {', '.join(STYLE_RULES[style])}")
    if value is None:
        if key in STYLE_RULES[style][: _REQUIRED[style]]:
            raise EditError(f"A {style} variant needs {key}")
        return
    if key == "items":
        if not isinstance(value, list) or any(isinstance(v, dict | list) or v is None for v in value):
            raise EditError("items is a list of values, e.g. 0.1, 0.01, 0.001")
    elif key == "value":
        if isinstance(value, dict | list):
            raise EditError("value is a single value")
    elif key == "integerify":
        if not isinstance(value, bool):
            raise EditError("integerify is true or false")
    elif key == "distribution":
        check_choice(value, DISTRIBUTIONS, "distribution")
    else:
        check_number(value, key, integer=key in ("count", "seed"))
        if key == "count" and value < 1:
            raise EditError("count must be at least 1")


def _variant(tree: Any, task: str, name: str) -> Any:
    return named(find(tree, "task", task).get("parameters"), name, "varied parameter")


def _check_parameter(tree: Any, task: str, name: str) -> Any:
    """The step parameter ``name`` (a mapping, or {} when the step is unknown); refuses
    a name the step lacks or one the blueprint already varies."""
    step = _blueprint_step(tree, task)
    if step is not None and name not in spec_names(step, "parameters"):
        raise UnknownNameError(f'Step "{step.get("name")}" has no parameter named "{name}"')
    if any(
        isinstance(v, dict) and v.get("name") == name
        for v in find(tree, "task", task).get("parameters") or []
    ):
        raise DuplicateNameError(f'Task "{task}" already varies "{name}"')
    return _step_parameter(tree, task, name)


def _step_parameter(tree: Any, task: str, name: str) -> Any:
    """The blueprint step's parameter ``name`` ({} when the step or parameter is unknown)."""
    step = _blueprint_step(tree, task)
    params = (step or {}).get("parameters") or []
    return next((p for p in params if isinstance(p, dict) and p.get("name") == name), {})


def _rules_map(rules: dict[str, Any]) -> CommentedMap:
    return CommentedMap((k, flow_list(v) if isinstance(v, list) else v) for k, v in rules.items())


def add_variant(doc: YamlDocument, task: str, name: str, style: str = "multiple") -> None:
    """Vary step parameter ``name`` in blueprint ``task``, starting from its default."""

    def mutate(tree: Any) -> None:
        param = _check_parameter(tree, task, name)
        rules = default_rules(style, to_plain(param.get("default")))
        item = CommentedMap([("name", name), ("style", style), ("rules", _rules_map(rules))])
        as_list(find(tree, "task", task), "parameters").append(item)

    doc.apply(mutate)


def remove_variant(doc: YamlDocument, task: str, name: str) -> None:
    def mutate(tree: Any) -> None:
        variants = find(tree, "task", task).get("parameters") or []
        variants.remove(_variant(tree, task, name))

    doc.apply(mutate)


def set_variant_parameter(doc: YamlDocument, task: str, old: str, new: str) -> None:
    """Vary another step parameter in this row (style and rules stay)."""

    def mutate(tree: Any) -> None:
        variant = _variant(tree, task, old)
        if new != old:
            _check_parameter(tree, task, new)
            variant["name"] = new

    doc.apply(mutate)


def set_variant_style(doc: YamlDocument, task: str, name: str, style: str) -> None:
    """Change a variant's style; its rules keep what the new style reads and gain what it needs."""
    check_choice(style, STYLE_RULES, "A variant style")

    def mutate(tree: Any) -> None:
        variant = _variant(tree, task, name)
        if variant.get("style") == style:
            return
        param = _step_parameter(tree, task, name)
        old = to_plain(variant.get("rules")) if isinstance(variant.get("rules"), dict) else {}
        rules = default_rules(style, to_plain(param.get("default")), old)
        variant["style"] = style
        current = variant.get("rules")
        if not isinstance(current, dict):
            variant["rules"] = _rules_map(rules)
            return
        for key in [k for k in current if k not in rules]:
            del current[key]
        for key, value in rules.items():
            if key not in current:
                current[key] = flow_list(value) if isinstance(value, list) else value

    doc.apply(mutate)


def set_variant_rule(doc: YamlDocument, task: str, name: str, key: str, value: Any) -> None:
    """Set (``None``: remove an optional) rule of a variant, checked against its style."""

    def mutate(tree: Any) -> None:
        variant = _variant(tree, task, name)
        check_rule(str(variant.get("style") or "single"), key, value)
        rules = variant.get("rules")
        if not isinstance(rules, dict):
            rules = variant["rules"] = CommentedMap()
        new = value
        if isinstance(value, list) and not (
            isinstance(rules.get(key), list) and to_plain(rules[key]) == value
        ):
            new = flow_list(value)
        set_or_delete(rules, key, new)

    doc.apply(mutate)


def set_parameter_sets(doc: YamlDocument, task: str, sets: list[dict[str, Any]] | None) -> None:
    """Replace a manual search's ``parameter-sets`` (each a mapping of step parameter values)."""
    if sets is not None and not (isinstance(sets, list) and all(isinstance(s, dict) for s in sets)):
        raise EditError("parameter-sets is a list of mappings, e.g. - {lr: 0.1, epochs: 3}")

    def mutate(tree: Any) -> None:
        step = _blueprint_step(tree, task)
        if step is not None:
            known = set(spec_names(step, "parameters"))
            for s in sets or []:
                unknown = sorted(set(s) - known)
                if unknown:
                    raise UnknownNameError(f'Step "{step.get("name")}" has no parameter named "{unknown[0]}"')
        body = find(tree, "task", task)
        set_or_delete(body, "parameter-sets", sets or None)
        if "parameters" not in body and "parameter-sets" not in body:
            body["parameters"] = CommentedSeq()  # the schema wants one of the two

    doc.apply(mutate)
