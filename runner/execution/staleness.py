"""Is an earlier execution of a node still what the file says? What changed since, if not.

After "Run this node" the other nodes show their last results; ``definition_changes`` says which
of those are out of date relative to the YAML as it is now: the image (after the image map), the
parameter values (edge-fed ones are taken as they were), the rendered command and the step.
Code and input changes are the reuse key's business (a run decides those); this is what can be
told from the file alone, cheaply, on the GUI thread.
"""

from __future__ import annotations

from typing import Any

from runner.execution.command import ParameterError, build_script, render_command, resolve_parameters
from runner.execution.plan import NodeTemplate, RunPlan


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def definition_changes(
    tpl: NodeTemplate,
    execution: dict[str, Any],
    image_map: dict[str, str] | None = None,
    edge_parameters: set[str] | frozenset[str] = frozenset(),
) -> list[str]:
    """What differs between ``execution`` (a store row) and ``tpl`` now; empty when up to date."""
    changes: list[str] = []
    if execution.get("step") and tpl.step and execution["step"] != tpl.step:
        changes.append(f"step {execution['step']} → {tpl.step}")
    image = (image_map or {}).get(tpl.image, tpl.image)
    if execution.get("image") and image and execution["image"] != image:
        changes.append(f"image {execution['image']} → {image}")
    if tpl.kind != "execution":
        return changes  # a task's or a deployment's own row holds no command or values
    stored = dict(execution.get("parameters") or {})
    explicit = {**{k: stored[k] for k in edge_parameters if k in stored}, **tpl.explicit}
    try:
        values = resolve_parameters(tpl.parameters, explicit)
    except ParameterError as exc:
        return [*changes, f"parameters: {exc}"]
    for key in sorted(set(values) | set(stored)):
        if key not in edge_parameters and values.get(key) != stored.get(key):
            changes.append(f"{key}: {_short(stored.get(key))} → {_short(values.get(key))}")
    command = execution.get("command")
    if command and not changes:  # a changed value changes the command too: say it once
        rendered = render_command(tpl.command, tpl.parameters, values, tpl.source_path)
        if command not in (build_script(rendered), build_script(rendered, strict=True)):
            changes.append("command changed")
    return changes


def plan_changes(
    plan: RunPlan, executions: dict[str, dict[str, Any]], image_map: dict[str, str] | None = None
) -> dict[str, list[str]]:
    """``definition_changes`` of each planned node that has an execution in ``executions``."""
    fed: dict[str, set[str]] = {}
    for edge in plan.edges:
        if edge.target_type == "parameter":
            fed.setdefault(edge.target_node, set()).add(edge.target_key)
    return {
        node: definition_changes(tpl, executions[node], image_map, fed.get(node, set()))
        for node, tpl in plan.nodes.items()
        if node in executions
    }


__all__ = ["definition_changes", "plan_changes"]
