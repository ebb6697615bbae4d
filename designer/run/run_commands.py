"""What to run: the whole pipeline (with the run dialog), one node, a node and what follows, or
the nodes that failed. Mixed into ``RunUI``; it plans, ``RunUI._start`` runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from designer.bridge.history import RunHistory
from designer.bridge.partial_plans import MissingUpstream, ancestors, descendants, failed_nodes, subset_plan
from designer.bridge.run_controller import RunController
from designer.run.run_dialog import RunDialog
from runner.api import RunPlan, data_dir, plan_run


class RunCommands:
    window: Any
    home: Path | None
    history: RunHistory
    controller: RunController
    reuse: bool
    ask: Callable[[str, str], bool]
    warn: Callable[[str, str], None]

    def _start(self, plan: RunPlan) -> bool:
        raise NotImplementedError

    def _full_plan(self, params: dict[str, Any] | None = None) -> RunPlan | None:
        pipeline = self.window.current_pipeline
        problem = self.window.document.text_problem
        if problem is not None:  # the canvas shows an older text than the one on screen
            where = f"line {problem.line}, column {problem.column}"
            self.warn("Cannot run", f"The YAML text does not parse ({where}): {problem.message}")
            return None
        if pipeline is None:
            self.warn("Nothing to run", "The document has no pipeline.")
            return None
        try:
            return plan_run(self.window.document.loaded, pipeline=pipeline, params=params)
        except (ValueError, OSError) as exc:
            self.warn("Cannot run", str(exc))
            return None

    def _selected_node(self) -> str | None:
        names = self.window.scene.selected_node_names()
        if len(names) != 1:
            self.warn("Select a node", "Select one node on the canvas first.")
            return None
        return str(names[0])

    def run_pipeline(self, params: dict[str, Any] | None = None, dialog: bool = True) -> bool:
        """With ``dialog`` the user picks parameters and target; returns whether a run started."""
        pipeline = self.window.current_pipeline
        if dialog and pipeline is not None:
            config = self.window.document.config
            pparams = getattr(config.pipelines.get(pipeline), "parameters", []) or []
            box = RunDialog(
                pipeline,
                [(p.name, p.default) for p in pparams],
                self.window.settings,
                self.window,
                notes={p.name: parameter_note(p) for p in pparams},
            )
            if box.exec() != RunDialog.DialogCode.Accepted:
                return False
            params, self.reuse = box.params(), box.reuse.isChecked()
        plan = self._full_plan(params)
        return plan is not None and self._start(plan)

    def run_node(self, node: str | None = None) -> bool:
        return self._run_subset(node, lambda plan, n: {n}, upstream_prompt=True)

    def run_nodes(self, nodes: set[str]) -> bool:
        """Run these nodes on their upstream's latest outputs (no question asked: a warning when an
        upstream has none); what re-run on save uses."""
        plan = self._full_plan()
        if plan is None:
            return False
        missing = sorted(nodes - set(plan.nodes))
        if missing:
            self.warn("Cannot run", f"no node {', '.join(missing)} in pipeline {plan.pipeline!r}")
            return False
        return self._start_subset(plan, set(nodes), upstream_prompt=False)

    def run_from_here(self, node: str | None = None) -> bool:
        return self._run_subset(node, descendants, upstream_prompt=True)

    def rerun_failed(self) -> bool:
        plan = self._full_plan()
        if plan is None:
            return False
        statuses = {n: s.status for n, s in self.controller.states.states().items()}
        keep = failed_nodes(plan, statuses)
        if not keep:
            self.warn("Nothing to re-run", "No node of the last run failed, was skipped or cancelled.")
            return False
        return self._start_subset(plan, keep, upstream_prompt=False)

    def _run_subset(
        self, node: str | None, pick: Callable[[RunPlan, str], set[str]], upstream_prompt: bool
    ) -> bool:
        node = node or self._selected_node()
        plan = self._full_plan() if node else None
        if plan is None or node is None:
            return False
        if node not in plan.nodes:
            self.warn("Cannot run", f"node {node!r} is not in pipeline {plan.pipeline!r}")
            return False
        return self._start_subset(plan, pick(plan, node), upstream_prompt, node)

    def _start_subset(
        self, plan: RunPlan, keep: set[str], upstream_prompt: bool, node: str | None = None
    ) -> bool:
        staging = (self.home or data_dir()) / "staging"
        try:
            sub = subset_plan(plan, keep, self.history, staging)
        except MissingUpstream as exc:
            question = (
                f"{exc}\n\nRun {', '.join(exc.nodes)} (and what it needs) first, then {node or 'the rest'}?"
            )
            if not upstream_prompt:
                self.warn("Upstream has no results", str(exc))
                return False
            if not self.ask("Upstream has no results", question):
                return False
            wanted = set(keep)
            for n in keep:
                wanted |= ancestors(plan, n)
            sub = subset_plan(plan, wanted, self.history, staging)
        except (ValueError, OSError) as exc:
            self.warn("Cannot run", str(exc))
            return False
        return self._start(sub)


def parameter_note(parameter: Any) -> str:
    """A pipeline parameter's tooltip: its description, where the value goes, list spreading."""
    lines = [parameter.description] if getattr(parameter, "description", None) else []
    targets = list(getattr(parameter, "targets", None) or [])
    if targets:
        lines.append("Sets " + ", ".join(targets))
    lines.append("A list such as [0.1, 0.3] runs a task node once per item.")
    return "\n".join(lines)
