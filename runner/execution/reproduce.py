"""Run an execution (or a whole run) again from what the store kept, and say whether it came out
the same: its code snapshot (not the folder as it is now), its YAML text, its parameters, its
inputs by content and the image the engine used. ``pipeline-designer reproduce``, the designer's
Reproduce.

A reproduction is an ordinary run (new run id, reuse off) planned from the stored YAML, with
every execution's parameters and outside inputs fixed to the recorded ones; ``check`` then
compares each reproduced execution's outputs (by content) and final metrics with the original.
Deployment nodes are not reproduced (they serve, they do not compute).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from runner.config.loader import load_text
from runner.execution.inputs import artifact_uri
from runner.execution.plan import NodeTemplate, PlanError, RunPlan, plan_pipeline, plan_step
from runner.execution.run_state import RunOptions
from runner.metadata import latest_values
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore


class ReproduceError(RuntimeError):
    """The run or execution cannot be reproduced (nothing was kept, or it is gone)."""


@dataclass
class NodeCheck:
    node: str
    original: str  # execution id that ran
    status: str  # of the reproduction
    outputs_same: bool
    metrics_same: bool
    differences: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return self.status == "succeeded" and self.outputs_same and self.metrics_same


@dataclass
class Reproduction:
    source_run: str
    plan: RunPlan
    snapshot: str
    originals: dict[str, dict[str, Any]]  # node in the new run -> the execution it reproduces

    def options(self, base: RunOptions | None = None) -> RunOptions:
        """The run options of the reproduction: from the snapshot, nothing reused."""
        return replace(base or RunOptions(), reuse=False, snapshot=self.snapshot, image_map={})

    def check_in_store(self, run_id: str, home: Path | None = None) -> list[NodeCheck]:
        """``check`` against the default run store (or ``home``'s)."""
        from runner.store.paths import data_dir

        store = RunStore((home or data_dir()) / "runs.sqlite3")
        try:
            return self.check(store, run_id)
        finally:
            store.close()

    def check(self, store: RunStore, run_id: str) -> list[NodeCheck]:
        out = []
        for node, original in self.originals.items():
            row = store.execution(run_id, node)
            if row is None:
                out.append(NodeCheck(node, original["id"], "not run", False, False, ["it did not run"]))
                continue
            out.append(_compare(store, node, original, row))
        return out


def _actual(store: RunStore, row: dict[str, Any]) -> dict[str, Any]:
    """A reused execution stands for the one that ran."""
    while row.get("reused_from"):
        original = store.execution_by_id(row["reused_from"])
        if original is None:
            break
        row = original
    return row


def _metrics(store: RunStore, execution_id: str) -> dict[str, Any]:
    values = latest_values(store.metadata(execution_id))
    values.pop("_time", None)
    return values


def _compare(store: RunStore, node: str, original: dict[str, Any], row: dict[str, Any]) -> NodeCheck:
    before = {o["path"]: o["sha256"] for o in store.outputs(original["id"])}
    after = {o["path"]: o["sha256"] for o in store.outputs(row["id"])}
    diffs = [f"output {p} differs" for p in sorted(set(before) | set(after)) if before.get(p) != after.get(p)]
    m_before, m_after = _metrics(store, original["id"]), _metrics(store, row["id"])
    metric_diffs = [
        f"metric {k}: {m_before.get(k)!r} -> {m_after.get(k)!r}"
        for k in sorted(set(m_before) | set(m_after))
        if m_before.get(k) != m_after.get(k)
    ]
    return NodeCheck(node, original["id"], row["status"], not diffs, not metric_diffs, diffs + metric_diffs)


def _inputs_by_content(row: dict[str, Any]) -> dict[str, list[str]]:
    return {
        name: [artifact_uri(f["sha256"], f["name"]) for f in files]
        for name, files in (row.get("inputs") or {}).items()
    }


def _fix(tpl: NodeTemplate, row: dict[str, Any], inputs: set[str] | None) -> None:
    """Pin a template to what the execution ran with (``inputs``: those given by content)."""
    tpl.explicit = dict(row.get("parameters") or {})
    stored = _inputs_by_content(row)
    tpl.input_sources = {n: stored.get(n, []) for n in (tpl.inputs if inputs is None else inputs)}
    tpl.image = row.get("image_digest") or row.get("image") or tpl.image
    tpl.actions = []  # the reproduction computes; it does not act on the pipeline
    tpl.on_error = "stop-all"


def plan_reproduction(store: RunStore, artifacts: ArtifactStore, target: str) -> Reproduction:
    """``RUN`` or ``RUN/NODE`` (``RUN`` may be ``latest``)."""
    run_ref, _, node = target.partition("/")
    run = store.run(run_ref)
    if run is None:
        raise ReproduceError(f"no run {run_ref!r} (see `pipeline-designer history`)")
    if not run.get("yaml_sha256") or not run.get("snapshot_id"):
        raise ReproduceError(
            f"run {run['id']} kept no code snapshot and YAML text (it was recorded before they were "
            "kept, or with the code snapshot off): it cannot be reproduced"
        )
    yaml_blob = run["yaml_sha256"]
    if not artifacts.has(yaml_blob):
        raise ReproduceError(f"run {run['id']}: its YAML text is no longer in the artifact store")
    yaml_path = Path(run["yaml_path"]) if run.get("yaml_path") else None
    loaded = load_text(artifacts.path_for(yaml_blob).read_text(encoding="utf-8"), path=yaml_path)
    if loaded.config is None:
        raise ReproduceError(f"run {run['id']}: its stored YAML no longer parses ({loaded.parse_error})")
    root = yaml_path.parent if yaml_path else Path.cwd()
    # Each execution as it really ran (a reused one: the execution it reused).
    rows = {r["node"]: _actual(store, r) for r in store.executions(run["id"])}
    try:
        full = plan_pipeline(loaded.config, run["pipeline"], root) if run["pipeline"] else None
        if node or full is None:
            plan, originals = _one(loaded.config, run, full, rows, node or run["step"], root)
            snapshot = next(iter(originals.values())).get("snapshot_id")
        else:
            plan, originals = _whole(run, full, rows, root)
            # Reused executions ran other snapshots, whose files they read are unchanged in this one.
            snapshot = run["snapshot_id"]
    except PlanError as exc:
        raise ReproduceError(f"run {run['id']}: {exc}") from None
    if not snapshot:
        raise ReproduceError(f"{target}: its execution kept no code snapshot, so it cannot be reproduced")
    plan.yaml_path, plan.yaml_text = yaml_path, loaded.text
    return Reproduction(run["id"], plan, snapshot, originals)


def _one(
    config: Any,
    run: dict[str, Any],
    full: RunPlan | None,
    rows: dict[str, dict[str, Any]],
    node: str,
    root: Path,
) -> tuple[RunPlan, dict[str, dict[str, Any]]]:
    row = rows.get(node)
    if row is None:
        raise ReproduceError(f"run {run['id']} has no node {node!r} (nodes: {', '.join(rows) or 'none'})")
    base = node.split("#", 1)[0].split("~", 1)[0]
    if full is not None:
        if base not in full.nodes or full.nodes[base].kind == "deployment":
            raise ReproduceError(
                f"node {node!r} of run {run['id']} is a deployment: it serves, there is nothing to reproduce"
            )
        tpl = full.nodes[base]
    else:
        tpl = plan_step(config, run["step"], root).nodes[run["step"]]
    if row.get("command") is None:  # a task node's own row
        raise ReproduceError(
            f"{node!r} is a task node: reproduce one of its executions ({node}#1, ...) or the run"
        )
    tpl = replace(tpl, name=base, kind="execution", sweep=None)
    _fix(tpl, row, None)
    return RunPlan(None, {base: tpl}, [], root), {base: row}


def _whole(
    run: dict[str, Any], full: RunPlan, rows: dict[str, dict[str, Any]], root: Path
) -> tuple[RunPlan, dict[str, dict[str, Any]]]:
    keep = {n: t for n, t in full.nodes.items() if t.kind != "deployment"}
    edges = [e for e in full.edges if e.source_node in keep and e.target_node in keep]
    originals: dict[str, dict[str, Any]] = {}
    for name, tpl in keep.items():
        fed = {e.target_key for e in edges if e.target_node == name and e.target_type == "input"}
        if tpl.kind == "task":  # its sweep expands as it did; outside inputs by content
            children = sorted(
                (r for n, r in rows.items() if n.startswith(name + "#") and "~" not in n), key=_index
            )
            if not children:
                raise ReproduceError(f"task node {name!r} ran no execution in run {run['id']}")
            stored = _inputs_by_content(children[0])
            tpl.input_sources = {n: stored.get(n, []) for n in tpl.inputs if n not in fed}
            tpl.actions = []
            originals.update({child["node"]: child for child in children})
            continue
        row = rows.get(name)
        if row is None or row.get("command") is None:
            raise ReproduceError(
                f"node {name!r} did not run in run {run['id']}: reproduce the nodes that did"
            )
        _fix(tpl, row, set(tpl.inputs) - fed)
        originals[name] = row
    return RunPlan(run["pipeline"], keep, edges, root), originals


def _index(row: dict[str, Any]) -> int:
    k = row["node"].rpartition("#")[2]
    return int(k) if k.isdigit() else 0
