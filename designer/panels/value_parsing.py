"""Turn what a user typed in the inspector into YAML values, or say why it is not valid.

Each parser returns the value (``None`` = remove the key) or raises ``ValueError`` with a
sentence shown inline next to the field.
"""

from __future__ import annotations

from typing import Any

PARAM_TYPES = ("string", "integer", "float", "flag")


def parse_scalar(text: str, type_: str) -> Any:
    text = text.strip()
    if text == "":
        return None
    if type_ == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"“{text}” is not a whole number") from None
    if type_ == "float":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"“{text}” is not a number") from None
    if type_ == "flag":
        lowered = text.lower()
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off"):
            return False
        raise ValueError(f"“{text}” is not true or false")
    return text


def parse_default(text: str, type_: str, multiple: bool) -> Any:
    if multiple and text.strip():
        return [parse_scalar(part, type_) for part in text.split(",") if part.strip()]
    return parse_scalar(text, type_)


def parse_number(text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"“{text}” is not a number") from None


def parse_list(text: str) -> list[str] | None:
    items = [part.strip() for part in text.split(",") if part.strip()]
    return items or None


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value)
    return str(value)


def parse_duration(text: str) -> Any:
    """Time limits: seconds as a number, or a duration string like ``1h30m`` (kept as typed)."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    import re

    if re.fullmatch(r"(\d+(\.\d+)?\s*[smhd]\s*)+", text):
        return text
    raise ValueError(f"“{text}” is not a duration (use seconds, or e.g. 90m, 1h30m)")
