"""One parameter value checked against its declaration: the rule lint applies to defaults and the
runner to every value it is about to pass (docs/runtime.md §6).

Flags accept booleans and the usual words; a string for a ``multiple`` parameter is split on its
separator (``"1,2"`` → ``["1", "2"]``); everything else goes through valohai-yaml's own
``Parameter.validate`` (int/float casting, min/max, choices), so a value means the same here as
on the platform.
"""

from __future__ import annotations

from typing import Any

from valohai_yaml.excs import ValidationErrors
from valohai_yaml.objs.parameter import Parameter

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


class ParameterError(ValueError):
    """A parameter value is missing or does not validate; the message names the parameter."""


def cast_flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ParameterError(f"parameter {name!r}: {value!r} is not a flag value (true/false)")


def validate_value(param: Parameter, value: Any) -> Any:
    """``value`` as the typed value ``param`` takes; ParameterError says why it cannot be."""
    if param.type == "flag":
        return cast_flag(param.name, value)
    if param.multiple and isinstance(value, str):
        value = [piece for piece in value.split(param.multiple_separator) if piece != ""]
    try:
        return param.validate(value)
    except ValidationErrors as exc:
        raise ParameterError(f"parameter {param.name!r}: {'; '.join(map(str, exc.errors))}") from None
