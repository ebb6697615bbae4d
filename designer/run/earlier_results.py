"""After a partial run (Run this node, Run from here): what the nodes it left out last produced.

Each left-out node shows its newest finished execution from earlier runs of the same file and
pipeline, marked as such, and whether the file has moved on since (``runner.api.plan_changes``:
image, parameter values, command, step).
"""

from __future__ import annotations

from typing import Any

from designer.bridge.node_states import NodeState
from runner.api import PlanError, plan_changes, plan_run


def earlier_results(
    history: Any, window: Any, run_id: str, ran: tuple[str, ...] | set[str], image_map: dict[str, str]
) -> dict[str, NodeState]:
    """Node -> its earlier result, for every node of the window's pipeline not in ``ran``."""
    pipeline = window.current_pipeline
    if pipeline is None or pipeline not in window.document.pipeline_names():
        return {}
    try:
        plan = plan_run(window.document.loaded, pipeline=pipeline)
    except (PlanError, ValueError, OSError):
        return {}  # the file does not plan now: the run on screen is all there is to show
    others = [n for n in plan.nodes if n not in set(ran)]
    if not others:
        return {}
    yaml_path = str(plan.yaml_path or plan.root_dir)
    rows = history.latest_executions(others, pipeline, yaml_path, exclude_run=run_id)
    changes = plan_changes(plan, rows, image_map)
    return {
        node: NodeState.from_row(row, from_run=row["run_id"], out_of_date=tuple(changes.get(node, ())))
        for node, row in rows.items()
    }


__all__ = ["earlier_results"]
