"""Plans for part of a pipeline: Run this node, Run from here, Re-run failed.

The kept nodes run as a pipeline of their own. An edge from a node left out is fed from the
store: its latest successful execution's outputs are staged as explicit inputs, its parameters
or metadata become parameter values. Without such an execution the plan cannot be made and
``MissingUpstream`` names the nodes to run first.
"""

from __future__ import annotations

import fnmatch
import secrets
from dataclasses import replace
from pathlib import Path
from typing import Any

from designer.bridge.history import RunHistory
from runner.api import PlanError, RunPlan, latest_values, safe_file_name


class MissingUpstream(PlanError):
    """Upstream nodes have never succeeded; ``nodes`` should run first."""

    def __init__(self, nodes: list[str], why: str = "") -> None:
        why = why or f"no successful run of upstream node(s) {', '.join(nodes)}"
        super().__init__(f"{why}: run them first")
        self.nodes = nodes


def descendants(plan: RunPlan, node: str) -> set[str]:
    out, todo = {node}, [node]
    while todo:
        current = todo.pop()
        for e in plan.edges:
            if e.source_node == current and e.target_node not in out:
                out.add(e.target_node)
                todo.append(e.target_node)
    return out


def ancestors(plan: RunPlan, node: str) -> set[str]:
    preds = plan.predecessors
    out: set[str] = set()
    todo = [node]
    while todo:
        for p in preds[todo.pop()]:
            if p not in out:
                out.add(p)
                todo.append(p)
    return out


def subset_plan(plan: RunPlan, keep: set[str], history: RunHistory, staging_root: Path) -> RunPlan:
    """``plan`` restricted to ``keep``; edges from outside are fed from the store."""
    unknown = keep - set(plan.nodes)
    if unknown:
        raise PlanError(f"no node(s) {', '.join(sorted(unknown))} in pipeline {plan.pipeline!r}")
    outside = sorted({e.source_node for e in plan.edges if e.target_node in keep} - keep)
    yaml_path = str(plan.yaml_path or plan.root_dir)
    found = {n: history.latest_ok_execution(n, plan.pipeline, yaml_path) for n in outside}
    missing = [n for n, row in found.items() if row is None]
    if missing:
        raise MissingUpstream(missing)
    nodes = {
        n: replace(t, explicit=dict(t.explicit), input_sources=dict(t.input_sources))
        for n, t in plan.nodes.items()
        if n in keep
    }
    staging = staging_root / secrets.token_hex(6)
    for edge in plan.edges:
        if edge.target_node not in keep or edge.source_node in keep:
            continue
        row = found[edge.source_node]
        assert row is not None
        tpl = nodes[edge.target_node]
        if edge.target_type == "parameter":
            value = _edge_value(history, row, edge.source_type, edge.source_key)
            if value is not None:
                tpl.explicit.setdefault(edge.target_key, value)
        elif edge.target_type == "input" and edge.source_type == "output":
            spec = tpl.inputs.get(edge.target_key)
            keep_dirs = str(getattr(spec, "keep_directories", "none")).endswith(("suffix", "full"))
            folder = staging / edge.target_node / edge.target_key
            for out in history.outputs(row["id"]):
                if fnmatch.fnmatchcase(out["path"], edge.source_key):
                    src = history.artifact_path(out["sha256"])
                    if not src.is_file():  # gone from the artifact store: that node runs again
                        why = f"output {out['path']} of {edge.source_node}'s last run is no longer stored"
                        raise MissingUpstream([edge.source_node], why)
                    name = out["path"] if keep_dirs else out["path"].rsplit("/", 1)[-1]
                    _stage(src, folder / safe_file_name(name, f"input {edge.target_key!r}"))
            if folder.is_dir():
                sources = tpl.input_sources.setdefault(edge.target_key, [])
                if str(folder) not in sources:
                    sources.append(str(folder))
    edges = [e for e in plan.edges if e.source_node in keep and e.target_node in keep]
    sub = RunPlan(plan.pipeline, nodes, edges, plan.root_dir, plan.reuse_executions, plan.yaml_path)
    sub.order()
    return sub


def _edge_value(history: RunHistory, row: dict[str, Any], source_type: str, key: str) -> Any:
    if source_type == "parameter":
        return (row.get("parameters") or {}).get(key)
    if source_type == "metadata":
        return latest_values(history.metadata(row["id"])).get(key)
    return None


def _stage(src: Path, dest: Path) -> None:
    """Hard-link the stored file (immutable) under its output name; copy across file systems."""
    import os
    import shutil

    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


def failed_nodes(plan: RunPlan, statuses: dict[str, str]) -> set[str]:
    """Nodes to re-run after a run: the failed, cancelled, skipped or interrupted ones."""
    bad = {"failed", "cancelled", "skipped", "interrupted"}
    return {n for n in plan.nodes if statuses.get(n) in bad}
