"""The filters of the run listing (``RunStore.runs``, ``history``, the Runs browser) as SQL."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import yaml


def run_filter(
    file: str | None,
    pipeline: str | None,
    status: str | Iterable[str] | None,
    tag: str | Iterable[str] | None,
    params: Mapping[str, Any] | None,
) -> tuple[str, tuple[Any, ...]]:
    """The ``WHERE`` clause (or "") and its arguments for ``RunStore.runs``' filters."""
    clauses: list[str] = []
    args: list[Any] = []
    if file is not None:
        clauses.append("yaml_path = ?")
        args.append(file)
    if pipeline is not None:
        clauses.append("pipeline = ?")
        args.append(pipeline)
    statuses = [status] if isinstance(status, str) else list(status or [])
    if statuses:
        clauses.append(f"status IN ({', '.join('?' * len(statuses))})")
        args.extend(statuses)
    for one in [tag] if isinstance(tag, str) else list(tag or []):
        clauses.append("EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = runs.id AND t.tag = ?)")
        args.append(one)
    for key, value in (params or {}).items():
        node, dot, name = key.rpartition(".")
        if not name:
            raise ValueError(f"parameter filter {key!r}: expected NAME or NODE.NAME")
        clauses.append(
            "EXISTS (SELECT 1 FROM executions e WHERE e.run_id = runs.id"
            + (" AND (e.node = ? OR e.node GLOB ?)" if dot else "")  # a task's train#3 is train's
            + " AND pd_param_is(e.parameters, ?, ?))"
        )
        args.extend([*([node, f"{node}#*"] if dot else []), name, json.dumps(value)])
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), tuple(args)


def param_is(parameters: str | None, name: str, wanted_json: str) -> bool:
    """SQL function ``pd_param_is``: the execution's parameter ``name`` has the wanted value.

    Text typed by a user matches the value it reads as ("0.10" a float 0.1, "true" a flag),
    and the text itself still matches a string parameter.
    """
    if not parameters:
        return False
    params = json.loads(parameters)
    if name not in params:
        return False
    have, wanted = params[name], json.loads(wanted_json)
    if _same(have, wanted):
        return True
    if isinstance(wanted, str):
        try:
            parsed = yaml.safe_load(wanted)
        except yaml.YAMLError:
            return False
        return _same(have, parsed)
    return False


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values: a flag is not the number 1, 2 equals 2.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)
