"""Rank a task's executions by the latest value of one metric. Pure, no Qt.

The runner's ``runner.metadata.rank_children`` (issue 7, the task engineer's) is used when it
exists, so the designer and the CLI agree on the order; this module keeps the same contract
until then: ``[(child, latest value or None), ...]``, best first, executions without the metric
(or with a value that is not a finite number) last, in execution order.
"""

from __future__ import annotations

import math
from typing import Any

from runner import metadata as _metadata


def latest_number(records: list[dict[str, Any]], metric: str) -> float | None:
    """The metric's value in the last record that has it, when that is a finite number."""
    for record in reversed(records):
        if metric in record:
            value = record[metric]
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                return None
            return float(value)
    return None


def _rank_children(
    records_by_child: dict[int, list[dict[str, Any]]], metric: str, descending: bool = True
) -> list[tuple[int, float | None]]:
    values = {k: latest_number(records, metric) for k, records in records_by_child.items()}
    have = sorted((k for k, v in values.items() if v is not None), key=lambda k: (values[k], k))
    if descending:  # ties keep execution order
        have = sorted(have, key=lambda k: (-values[k], k))  # type: ignore[operator]
    missing = sorted(k for k, v in values.items() if v is None)
    return [(k, values[k]) for k in have] + [(k, None) for k in missing]


def rank_children(
    records_by_child: dict[int, list[dict[str, Any]]], metric: str, descending: bool = True
) -> list[tuple[int, float | None]]:
    runner_rank = getattr(_metadata, "rank_children", None)
    if runner_rank is not None:
        return [(int(k), v) for k, v in runner_rank(records_by_child, metric, descending=descending)]
    return _rank_children(records_by_child, metric, descending)
