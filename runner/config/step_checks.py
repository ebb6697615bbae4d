"""Checks of what a step will do when it runs: parameter defaults that its type refuses, and
placeholders whose shell quoting lets a value run code. ``run`` refuses a config with lint
errors, so what would fail at run time is found here first, at its line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from valohai_yaml.objs.parameter import Parameter

from runner.config import query
from runner.config.diagnostics import Diagnostic
from runner.config.loader import ConfigPath, LoadedConfig
from runner.config.parameter_values import ParameterError, validate_value
from runner.config.placeholders import double_quoted_placeholders

_WHAT_FITS = {
    "integer": "a whole number such as 10",
    "float": "a number such as 0.01",
    "flag": "true or false",
    "string": "text",
}


def step_checks(loaded: LoadedConfig) -> Iterator[Diagnostic]:
    data = loaded.data
    if not isinstance(data, list):
        return
    for index, item in enumerate(data):
        body = item.get("step") if isinstance(item, dict) else None
        if not isinstance(body, dict):
            continue
        where = (index, "step")
        yield from _parameter_defaults(loaded, body.get("parameters"), (*where, "parameters"))
        yield from _quoted_placeholders(loaded, body.get("command"), (*where, "command"))
    for index, item in enumerate(data):
        for key in ("pipeline", "blueprint"):
            body = item.get(key) if isinstance(item, dict) else None
            if isinstance(body, dict):
                yield from _overrides(loaded, data, body, (index, key))


def _overrides(
    loaded: LoadedConfig, data: list[Any], body: dict[str, Any], at: ConfigPath
) -> Iterator[Diagnostic]:
    for n, node in query.nodes(body):
        override = node.get("override")
        if not isinstance(override, dict):
            continue
        where = (*at, "nodes", n, "override")
        step = query.node_step(data, node) or {}
        declared = {p.get("name"): p for p in step.get("parameters") or [] if isinstance(p, dict)}
        yield from _parameter_defaults(loaded, override.get("parameters"), (*where, "parameters"), declared)
        yield from _quoted_placeholders(loaded, override.get("command"), (*where, "command"))


def _parameter_defaults(
    loaded: LoadedConfig, parameters: Any, at: ConfigPath, declared: dict[Any, dict[str, Any]] | None = None
) -> Iterator[Diagnostic]:
    for i, raw in enumerate(parameters if isinstance(parameters, list) else []):
        if not isinstance(raw, dict) or raw.get("default") is None:
            continue
        merged = {**(declared or {}).get(raw.get("name"), {}), **raw}
        try:
            param = Parameter.parse(merged)
        except Exception:  # a malformed declaration: the schema check reports it
            continue
        try:
            validate_value(param, merged["default"])
        except ParameterError as exc:
            fits = _WHAT_FITS.get(param.type, f"a {param.type} value")
            many = " (or a list of them, as it is multiple)" if param.multiple else ""
            yield _diag(
                loaded,
                "error",
                f'parameter "{param.name}" ({param.type}): default {merged["default"]!r} is refused: '
                f"{str(exc).split(': ', 1)[-1]}",
                f"write {fits}{many}, or change the type",
                (*at, i, "default"),
                "parameter-default-type",
            )


def _quoted_placeholders(loaded: LoadedConfig, command: Any, at: ConfigPath) -> Iterator[Diagnostic]:
    lines = (
        [(at, command)]
        if isinstance(command, str)
        else [((*at, k), line) for k, line in enumerate(command if isinstance(command, list) else [])]
    )
    for path, line in lines:
        if not isinstance(line, str):
            continue
        for found in double_quoted_placeholders(line):
            yield _diag(
                loaded,
                "warning",
                f"{found.text} is inside double quotes: its value is shell-quoted with single quotes, "
                "which mean nothing inside double quotes, so a value holding $(...) or backticks would run",
                f"drop the double quotes around {found.text}; the value is quoted already",
                path,
                "double-quoted-placeholder",
            )


def _diag(
    loaded: LoadedConfig, severity: str, message: str, hint: str, path: ConfigPath, code: str
) -> Diagnostic:
    mark = loaded.locate(path)
    return Diagnostic(severity, message, hint, loaded.display_name, mark.line, mark.column, path, code)
