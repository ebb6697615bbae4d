"""Parameter resolution and command rendering (docs/runtime.md §5 and §6).

Values: explicit (CLI, pipeline parameter, edge) > node override default > step default, flags
included. Rendering goes through valohai-yaml's own ``build_command`` so quoting and pass-as
templates are the platform's; we only feed it fully resolved values (it skips flag defaults).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from valohai_yaml.commands import build_command, join_command
from valohai_yaml.objs.parameter import Parameter
from valohai_yaml.objs.parameter_map import ParameterMap

from runner.config.parameter_values import ParameterError, validate_value


def resolve_parameters(
    parameters: Mapping[str, Parameter], explicit: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Final typed value of every parameter that has one, in YAML order.

    Unknown explicit names and required parameters without a value raise ParameterError.
    """
    explicit = dict(explicit or {})
    unknown = sorted(set(explicit) - set(parameters))
    if unknown:
        raise ParameterError(
            f"unknown parameter(s) {', '.join(unknown)}; known: {', '.join(parameters) or '(none)'}"
        )
    values: dict[str, Any] = {}
    for name, param in parameters.items():
        value = explicit.get(name, param.default)
        if value is None:
            if param.type != "flag" and not param.optional:
                raise ParameterError(f"parameter {name!r} is required and has no value")
            continue
        values[name] = validate_value(param, value)
    return values


def render_command(
    command: str | list[str],
    parameters: Mapping[str, Parameter],
    values: Mapping[str, Any],
    source_path: str | None = None,
) -> list[str]:
    """One rendered shell line per command entry; every value is shell-quoted by valohai-yaml."""
    special = {"source-path": source_path} if source_path is not None else {}
    pmap = ParameterMap(parameters=parameters, values=values)
    return build_command(command, pmap, special_interpolations=special)


def build_script(commands: list[str], strict: bool = False) -> str:
    """Join the rendered lines into one script (docs/runtime.md §5).

    Default: newline-joined, exit code = the last command's. ``strict``: ``&&``-joined, stop at
    the first failure. A leading ``#!`` line of the first command stays the script's shebang.
    """
    return join_command(commands, " && " if strict else "\n") + "\n"


def script_argv(script_path: str, script: str) -> list[str]:
    """How to run the script file: its shebang interpreter, or /bin/sh."""
    first = script.split("\n", 1)[0]
    if first.startswith("#!"):
        return [*shlex.split(first[2:].strip()), script_path]
    return ["/bin/sh", script_path]
