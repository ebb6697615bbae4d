"""Metadata line parser (contract §7): a stdout line that is exactly one JSON object."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def parse_metadata_line(line: str) -> dict[str, Any] | None:
    """Return the JSON object on ``line`` or None when it is plain log.

    Rules: strip, must start with ``{`` and end with ``}``, ``json.loads`` must give a dict.
    ``NaN``/``Infinity`` are accepted (valohai-utils prints them bare); types are kept as parsed.
    """
    text = line.strip()
    if len(text) < 2 or text[0] != "{" or text[-1] != "}":
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def iso_time(timestamp: float) -> str:
    """UTC ISO-8601 with microseconds, the format of Valohai's implicit ``_time``."""
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat().replace("+00:00", "Z")


def with_time(record: dict[str, Any], timestamp: float) -> dict[str, Any]:
    """Add the implicit ``_time`` unless the step printed its own."""
    if "_time" in record:
        return record
    return {**record, "_time": iso_time(timestamp)}


def latest_values(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Latest value of each key = its value in the last record containing it."""
    out: dict[str, Any] = {}
    for record in records:
        out.update(record)
    out.pop("_time", None)
    return out
