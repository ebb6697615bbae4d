"""Edits of steps (top-level ``- step:`` items), their parameters and their inputs.

Renaming a parameter or an input follows every reference: command placeholders, task
blueprints varying it, node overrides, edge ends and pipeline parameter targets.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.comments import CommentedMap

from runner.config import query
from runner.config.document import YamlDocument
from runner.config.edits._tree import (
    as_list,
    check_name,
    find,
    has_named,
    items,
    named,
    remove_top_level,
    rename_key,
    rename_named,
    set_or_delete,
)
from runner.config.edits.rename import rename_item, rename_port
from runner.config.errors import DuplicateNameError

__all__ = [
    "add_input",
    "add_output",
    "add_parameter",
    "add_step",
    "remove_input",
    "remove_output",
    "remove_parameter",
    "remove_step",
    "rename_input",
    "rename_output",
    "rename_parameter",
    "rename_step",
    "set_input_field",
    "set_output_field",
    "set_parameter_field",
    "set_step_field",
]


def add_step(doc: YamlDocument, name: str, image: str, command: str | list[str]) -> None:
    check_name(name, "step")
    if name in doc.loaded.config_step_names():
        raise DuplicateNameError(f'A step named "{name}" already exists')

    def mutate(tree: Any) -> None:
        body = CommentedMap([("name", name), ("image", image), ("command", command)])
        index = max((i for i, _ in items(tree, "step")), default=-1) + 1
        tree.insert(index, CommentedMap([("step", body)]))

    doc.apply(mutate)


def remove_step(doc: YamlDocument, name: str) -> None:
    doc.apply(lambda tree: remove_top_level(tree, "step", name))


def rename_step(doc: YamlDocument, old: str, new: str) -> None:
    """Rename a step and the task blueprints and nodes that run it."""
    rename_item(doc, "step", old, new)


def set_step_field(doc: YamlDocument, step: str, key: str, value: Any) -> None:
    """Set (or, with ``None``, remove) a step key such as ``image``, ``command`` or ``time-limit``."""
    if key == "name":
        rename_step(doc, step, value)
        return
    doc.apply(lambda tree: set_or_delete(find(tree, "step", step), key, value))


# -- parameters and inputs ("specs" of a step's table) -----------------------------------------


def _add_spec(doc: YamlDocument, step: str, table: str, spec: dict[str, Any]) -> None:
    what = table[:-1]
    check_name(spec.get("name", ""), what)

    def mutate(tree: Any) -> None:
        specs = as_list(find(tree, "step", step), table)
        if has_named(specs, spec["name"]):
            raise DuplicateNameError(f'Step "{step}" already has a {what} named "{spec["name"]}"')
        specs.append(CommentedMap(spec.items()))

    doc.apply(mutate)


def _remove_spec(doc: YamlDocument, step: str, table: str, name: str) -> None:
    def mutate(tree: Any) -> None:
        specs = find(tree, "step", step).get(table) or []
        specs.remove(named(specs, name, table[:-1]))

    doc.apply(mutate)


def _set_spec_field(doc: YamlDocument, step: str, table: str, name: str, key: str, value: Any) -> None:
    if key == "name":
        _rename_spec(doc, step, table, name, value)
        return
    doc.apply(
        lambda tree: set_or_delete(named(find(tree, "step", step).get(table), name, table[:-1]), key, value)
    )


def _rename_spec(doc: YamlDocument, step: str, table: str, old: str, new: str) -> None:
    kind = table[:-1]  # "parameter" | "input" | "output"
    check_name(new, kind)

    def mutate(tree: Any) -> None:
        body = find(tree, "step", step)
        specs = body.get(table)
        if new != old and has_named(specs, new):
            raise DuplicateNameError(f'Step "{step}" already has a {kind} named "{new}"')
        named(specs, old, kind)["name"] = new
        blueprints = [b for _i, b in items(tree, "task") if b.get("step") == step]
        if kind == "parameter":
            _rename_placeholders(body, old, new)
            for blueprint in blueprints:
                _rename_in_sweep(blueprint, old, new)
        blueprint_names = {b.get("name") for b in blueprints}
        for _i, pipeline in items(tree, "pipeline"):
            users = [
                n
                for _j, n in query.nodes(pipeline)
                if n.get("step") == step or n.get("task") in blueprint_names
            ]
            for node in users:
                override = node.get("override")
                if isinstance(override, dict):
                    rename_named(override.get(table), old, new)
                if kind == "parameter":
                    _rename_in_sweep(node, old, new)
            rename_port(pipeline, {n.get("name") for n in users}, kind, old, new)

    doc.apply(mutate)


def _rename_in_sweep(body: Any, old: str, new: str) -> None:
    """A task's variant ``parameters`` and its ``parameter-sets`` name step parameters too."""
    rename_named(body.get("parameters"), old, new)
    for parameter_set in body.get("parameter-sets") or []:
        rename_key(parameter_set, old, new)


def _rename_placeholders(step: Any, old: str, new: str) -> None:
    pattern = re.compile(r"\{(parameter|parameter-value):" + re.escape(old) + r"\}")

    def fix(text: Any) -> Any:
        fixed = pattern.sub(lambda m: "{" + m.group(1) + ":" + new + "}", text)
        return fixed if type(text) is str else type(text)(fixed)  # keeps a ruamel quoting type

    command = step.get("command")
    if isinstance(command, str) and fix(command) != command:
        step["command"] = fix(command)
    elif isinstance(command, list):
        for i, line in enumerate(command):
            if isinstance(line, str) and fix(line) != line:
                command[i] = fix(line)


def add_parameter(doc: YamlDocument, step: str, spec: dict[str, Any]) -> None:
    _add_spec(doc, step, "parameters", {"type": "string", **spec} if "type" not in spec else spec)


def remove_parameter(doc: YamlDocument, step: str, name: str) -> None:
    _remove_spec(doc, step, "parameters", name)


def rename_parameter(doc: YamlDocument, step: str, old: str, new: str) -> None:
    _rename_spec(doc, step, "parameters", old, new)


def set_parameter_field(doc: YamlDocument, step: str, param: str, key: str, value: Any) -> None:
    _set_spec_field(doc, step, "parameters", param, key, value)


def add_input(doc: YamlDocument, step: str, spec: dict[str, Any]) -> None:
    _add_spec(doc, step, "inputs", spec)


def remove_input(doc: YamlDocument, step: str, name: str) -> None:
    _remove_spec(doc, step, "inputs", name)


def rename_input(doc: YamlDocument, step: str, old: str, new: str) -> None:
    _rename_spec(doc, step, "inputs", old, new)


def set_input_field(doc: YamlDocument, step: str, name: str, key: str, value: Any) -> None:
    _set_spec_field(doc, step, "inputs", name, key, value)


# A declared output (``outputs: [{name, description}]``, valohai-yaml's schema) is a file name or
# a glob; the designer draws it as an output port. Renaming it renames the edges drawn from it.
def add_output(doc: YamlDocument, step: str, spec: dict[str, Any]) -> None:
    _add_spec(doc, step, "outputs", spec)


def remove_output(doc: YamlDocument, step: str, name: str) -> None:
    _remove_spec(doc, step, "outputs", name)


def rename_output(doc: YamlDocument, step: str, old: str, new: str) -> None:
    _rename_spec(doc, step, "outputs", old, new)


def set_output_field(doc: YamlDocument, step: str, name: str, key: str, value: Any) -> None:
    _set_spec_field(doc, step, "outputs", name, key, value)
