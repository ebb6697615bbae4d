"""Metadata line parser (docs/runtime.md §7): a stdout line that is exactly one JSON object."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

try:  # fast JSON for metadata lines; json.loads does the rest (and all of it without orjson)
    from orjson import loads as _orjson_loads
except ImportError:  # pragma: no cover (a dependency; the parser stands without it)
    _orjson_loads = None

_EXACT_INT = 2.0**63  # orjson turns a longer integer into a float: beyond this, json decides


def parse_metadata_line(line: str) -> dict[str, Any] | None:
    """Return the JSON object on ``line`` or None when it is plain log.

    Rules: strip, must start with ``{`` and end with ``}``, ``json.loads`` must give a dict.
    ``NaN``/``Infinity`` are accepted (valohai-utils prints them bare); types are kept as parsed.
    """
    text = line.strip()
    if len(text) < 2 or text[0] != "{" or text[-1] != "}":
        return None
    value = _fast_object(text)
    if value is None:
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            return None
    return value if isinstance(value, dict) else None


def _fast_object(text: str) -> dict[str, Any] | None:
    """orjson's reading of ``text`` where it is sure to be ``json.loads``' (three times as fast,
    and a step may print 100,000 lines a second); None: ask ``json.loads``. orjson refuses
    NaN/Infinity, numbers out of float range and lone surrogates (json.loads takes them), and
    reads integers past 64 bits as floats: such records, and nested ones, go the slow way."""
    if _orjson_loads is None:
        return None
    try:
        value = _orjson_loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    for item in value.values():
        kind = type(item)
        if kind is float:
            if not -_EXACT_INT < item < _EXACT_INT:  # maybe an integer too long for 64 bits
                return None
        elif kind is dict or kind is list:
            return None
    return value


def iso_time(timestamp: float) -> str:
    """UTC ISO-8601 with microseconds, the format of Valohai's implicit ``_time``."""
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat().replace("+00:00", "Z")


def with_time(record: dict[str, Any], timestamp: float) -> dict[str, Any]:
    """Add the implicit ``_time`` unless the step printed its own."""
    if "_time" in record:
        return record
    return {**record, "_time": iso_time(timestamp)}


def numeric(value: Any) -> float | None:
    """A record value as a plotted number: ints and floats (NaN and infinities too), not bools."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError:  # an int beyond float range
        return math.inf if value > 0 else -math.inf


def record_time(value: Any) -> float:
    """A record's ``_time`` (ISO-8601 text from the runner, or a number) as epoch seconds; NaN
    when it is neither."""
    if isinstance(value, str):  # the usual case first
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return math.nan
    num = numeric(value)
    return math.nan if num is None else num


def latest_values(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Latest value of each key = its value in the last record containing it."""
    out: dict[str, Any] = {}
    for record in records:
        out.update(record)
    out.pop("_time", None)
    return out


def rank_children(
    records_by_child: dict[int, list[dict[str, Any]]], metric: str, descending: bool = True
) -> list[tuple[int, float | None]]:
    """A task's executions ranked by the latest value of ``metric``: ``(child, score)``, best first.

    The one ranking of a task's executions (runner.api exports it for the designer). Only a
    finite number is a score: children that never printed the metric, or printed a non-number,
    NaN or an infinity, come last with score None, in child order; ties keep child order.
    """
    scored: list[tuple[int, float]] = []
    missing: list[tuple[int, float | None]] = []
    for child in sorted(records_by_child):
        value = latest_values(records_by_child[child]).get(metric)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            scored.append((child, float(value)))
        else:
            missing.append((child, None))
    scored.sort(key=lambda cv: -cv[1] if descending else cv[1])
    return [*scored, *missing]
