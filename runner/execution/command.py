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
from valohai_yaml.excs import ValidationErrors
from valohai_yaml.objs.parameter import Parameter
from valohai_yaml.objs.parameter_map import ParameterMap

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


class ParameterError(ValueError):
    """A parameter value is missing or does not validate; the message names the parameter."""


def _cast_flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ParameterError(f"parameter {name!r}: {value!r} is not a flag value (true/false)")


def _split_multiple(param: Parameter, value: Any) -> Any:
    # A CLI string for a multiple parameter is split on its separator ("1,2" -> ["1", "2"]).
    if param.multiple and isinstance(value, str):
        return [piece for piece in value.split(param.multiple_separator) if piece != ""]
    return value


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
        if param.type == "flag":
            if value is not None:
                values[name] = _cast_flag(name, value)
            continue
        if value is None:
            if not param.optional:
                raise ParameterError(f"parameter {name!r} is required and has no value")
            continue
        try:
            values[name] = param.validate(_split_multiple(param, value))
        except ValidationErrors as exc:
            raise ParameterError(f"parameter {name!r}: {'; '.join(map(str, exc.errors))}") from None
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
