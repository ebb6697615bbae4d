"""A task's executions ranked by the latest value of one metric, for the metrics dock's table.

The order is the runner's (``runner.metadata.rank_children``, the same the CLI uses): best first,
ties in execution order, executions without a numeric value last. Here a value that is not a
finite number becomes None and goes last, so the table shows "–" and never highlights it as the best.
"""

from __future__ import annotations

import math
from typing import Any

from runner.metadata import rank_children as _runner_rank


def rank_children(
    records_by_child: dict[int, list[dict[str, Any]]], metric: str, descending: bool = True
) -> list[tuple[int, float | None]]:
    ranked = [(int(k), _finite(v)) for k, v in _runner_rank(records_by_child, metric, descending=descending)]
    # The runner ranks an infinite value as a number (first or last); here it goes with the missing.
    return [kv for kv in ranked if kv[1] is not None] + [kv for kv in ranked if kv[1] is None]


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)
