"""From a parsed valohai.yaml to what the executor runs: one NodeTemplate per pipeline node.

Overrides are merged onto the step (valohai-yaml's ``Override.merge_with_step``), pipeline
parameters and ``--param`` values become explicit values, edges give the dependency graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from valohai_yaml.objs import Config
from valohai_yaml.objs.input import Input
from valohai_yaml.objs.parameter import Parameter
from valohai_yaml.objs.pipelines.override import Override
from valohai_yaml.objs.step import Step

from runner.config.diagnostics import Diagnostic
from runner.config.sockets import ResolvedEdge, resolve_edges
from runner.execution.conditions import ActionError, check_expression
from runner.execution.placement import gpus_requested
from runner.execution.sweep import Sweep, SweepError, expand, sweep_from_task


class PlanError(ValueError):
    """The pipeline/step cannot be planned; the message names the culprit."""


class LintRefused(PlanError):
    """The config has lint errors: nothing is started (a run would fail, or do what was not meant)."""

    def __init__(self, file: str, errors: list[Diagnostic]) -> None:
        self.errors = errors
        listed = "\n".join(f"  {d.format()}".replace("\n", "\n  ") for d in errors)
        super().__init__(
            f"{file} has {len(errors)} lint error{'s' if len(errors) != 1 else ''}, so nothing was started:\n"
            f"{listed}\nfix them and run again (`pipeline-designer lint {file}` lists them too)"
        )


@dataclass
class NodeTemplate:
    name: str
    kind: str  # "execution", "task" or "deployment"
    step: str | None
    image: str = ""
    command: str | list[str] = ""
    parameters: dict[str, Parameter] = field(default_factory=dict)
    inputs: dict[str, Input] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    source_path: str | None = None
    time_limit: float | None = None
    no_output_timeout: float | None = None
    edge_merge_mode: str = "replace"
    explicit: dict[str, Any] = field(default_factory=dict)  # pipeline parameters and --param
    input_sources: dict[str, list[str]] = field(default_factory=dict)  # --input NAME=PATH_OR_URL
    gpus: int = 0  # from resources.devices (multi-host runs place it on a host with free GPUs)
    environment: str | None = None  # valohai environment name; hosts may be mapped to it
    sweep: Sweep | None = None  # task nodes: what varies (a `task:` blueprint, or nothing)
    endpoints: dict[str, Any] = field(default_factory=dict)  # deployment nodes: name -> valohai-yaml Endpoint
    actions: list[Any] = field(default_factory=list)  # valohai-yaml NodeActions (runner.execution.actions)
    on_error: str = "stop-all"  # stop-all | stop-next | continue | retry (runner.dag.scheduler)

    def spread(self, values: dict[str, Any]) -> dict[str, list[Any]]:
        """List values for parameters that are not ``multiple``: a task node runs one
        execution per item (docs/runtime.md §8); an execution node passes them on as they are."""
        if self.sweep is None:
            return {}
        return {
            k: list(v)
            for k, v in values.items()
            if isinstance(v, list | tuple) and k in self.parameters and not self.parameters[k].multiple
        }


@dataclass
class RunPlan:
    pipeline: str | None
    nodes: dict[str, NodeTemplate]
    edges: list[ResolvedEdge]
    root_dir: Path
    reuse_executions: bool = False
    yaml_path: Path | None = None
    yaml_text: str | None = None  # the text planned from (unsaved edits included), kept per run

    @property
    def on_error(self) -> dict[str, str]:
        """Each node's on-error policy (the scheduler's ``policies``)."""
        return {name: tpl.on_error for name, tpl in self.nodes.items()}

    @property
    def predecessors(self) -> dict[str, set[str]]:
        preds: dict[str, set[str]] = {name: set() for name in self.nodes}
        for edge in self.edges:
            preds[edge.target_node].add(edge.source_node)
        return preds

    def order(self) -> list[str]:
        """Topological order (Kahn, ties by YAML order); raises PlanError on a cycle."""
        preds = {n: set(p) for n, p in self.predecessors.items()}
        out: list[str] = []
        while preds:
            ready = [n for n, p in preds.items() if not p]
            if not ready:
                raise PlanError(f"the pipeline has a cycle through nodes {sorted(preds)}")
            for node in ready:
                out.append(node)
                del preds[node]
            for p in preds.values():
                p.difference_update(ready)
        return out


def _template(name: str, step: Step, override: Override | None) -> NodeTemplate:
    merged = Override.merge_with_step(override, step)
    return NodeTemplate(
        name=name,
        kind="execution",
        step=step.name,
        image=(override.image if override and override.image else step.image) or "",
        command=(override.command if override and override.command else step.command) or "",
        parameters=dict(merged.parameters),
        inputs=dict(merged.inputs),
        env={k: str(v.default) for k, v in merged.environment_variables.items() if v.default is not None},
        source_path=step.source_path,
        time_limit=step.time_limit.total_seconds() if step.time_limit else None,
        no_output_timeout=step.no_output_timeout.total_seconds() if step.no_output_timeout else None,
        gpus=gpus_requested(_devices(step)),
        environment=step.environment,
    )


def _devices(step: Step) -> dict[str, int] | None:
    resources = getattr(step, "resources", None)
    devices = getattr(resources, "devices", None)
    return getattr(devices, "devices", None)


def _step(config: Config, name: str, where: str) -> Step:
    if name not in config.steps:
        raise PlanError(f"{where}: step {name!r} does not exist (steps: {', '.join(config.steps) or 'none'})")
    return config.steps[name]


def plan_step(
    config: Config,
    step_name: str,
    root_dir: Path,
    params: dict[str, Any] | None = None,
    inputs: dict[str, list[str]] | None = None,
) -> RunPlan:
    template = _template(step_name, _step(config, step_name, "--step"), None)
    template.explicit = dict(params or {})
    for name in inputs or {}:
        if name not in template.inputs:
            raise PlanError(f"--input {name}: step {step_name!r} has no such input")
    template.input_sources = dict(inputs or {})
    return RunPlan(None, {step_name: template}, [], root_dir)


def plan_pipeline(
    config: Config, pipeline_name: str, root_dir: Path, params: dict[str, Any] | None = None
) -> RunPlan:
    if pipeline_name not in config.pipelines:
        known = ", ".join(config.pipelines) or "none"
        raise PlanError(f"pipeline {pipeline_name!r} does not exist (pipelines: {known})")
    pipeline = config.pipelines[pipeline_name]
    nodes: dict[str, NodeTemplate] = {}
    for node in pipeline.nodes:
        where = f"pipeline {pipeline_name!r} node {node.name!r}"
        if node.type == "deployment":
            endpoints = _endpoints(config, node, where)
            nodes[node.name] = NodeTemplate(
                node.name, "deployment", None, endpoints=endpoints, on_error=_on_error(node)
            )
            continue
        step_name, sweep = getattr(node, "step", None), None
        if node.type == "task":
            step_name, sweep = _task_blueprint(config, node, where)
        template = _template(node.name, _step(config, step_name, where), getattr(node, "override", None))
        template.kind = node.type
        template.sweep = sweep
        merge_mode = getattr(node, "edge_merge_mode", "replace")
        template.edge_merge_mode = str(getattr(merge_mode, "value", merge_mode))
        template.on_error = _on_error(node)
        nodes[node.name] = template
    edges = resolve_edges(pipeline)
    for edge in edges:
        for end in (edge.source_node, edge.target_node):
            if end not in nodes:
                raise PlanError(f"pipeline {pipeline_name!r}: edge refers to unknown node {end!r}")
    for edge in edges:
        receiver = nodes[edge.target_node]
        if receiver.kind == "deployment":
            continue
        ports = receiver.inputs if edge.target_type == "input" else receiver.parameters
        if edge.target_type in ("input", "parameter") and edge.target_key not in ports:
            src = f"{edge.source_node}.{edge.source_type}.{edge.source_key}"
            dst = f"{edge.target_node}.{edge.target_type}.{edge.target_key}"
            raise PlanError(
                f"pipeline {pipeline_name!r}: edge {src} -> {dst}: node {edge.target_node!r} has no "
                f"{edge.target_type} {edge.target_key!r}"
            )
    for pparam in pipeline.parameters:
        if pparam.default is None:
            continue
        for target in pparam.targets:
            target_node, _type, pname = target.split(".", 2)
            if target_node in nodes:
                nodes[target_node].explicit[pname] = pparam.default
    _apply_params(pipeline_name, nodes, pipeline.parameters, params or {})
    for template in nodes.values():
        _check_sweep(template)
    plan = RunPlan(pipeline_name, nodes, edges, root_dir, bool(pipeline.reuse_executions))
    try:  # an `if` that cannot be evaluated is refused before anything starts
        attach_actions(plan, pipeline)
    except ActionError as exc:
        raise PlanError(str(exc)) from None
    plan.order()  # cycle check up front
    return plan


def _on_error(node: Any) -> str:
    """valohai-yaml's ErrorAction as a string; a deployment cannot be retried (its schema has no
    ``retry``), so a ``retry`` given there anyway stops all."""
    value = getattr(node, "on_error", None)
    policy = str(getattr(value, "value", value) or "stop-all")
    return "stop-all" if node.type == "deployment" and policy == "retry" else policy


def _endpoints(config: Config, node: Any, where: str) -> dict[str, Any]:
    """The ``- endpoint:`` items a deployment node lists (runner.deploy starts them)."""
    missing = [name for name in node.endpoints if name not in config.endpoints]
    if missing:
        known = ", ".join(config.endpoints) or "none"
        names = ", ".join(map(repr, missing))
        raise PlanError(f"{where}: endpoint {names} does not exist (endpoints: {known})")
    return {name: config.endpoints[name] for name in node.endpoints}


def _task_blueprint(config: Config, node: Any, where: str) -> tuple[str, Sweep]:
    """A task node's step and sweep: from its ``task:`` blueprint, or its ``step:`` alone
    (then only list values of parameters vary it)."""
    if node.step:
        return node.step, Sweep(where=f"{where}")
    if not node.task:
        raise PlanError(f"{where}: a task node needs step: or task:")
    if node.task not in config.tasks:
        raise PlanError(
            f"{where}: task {node.task!r} does not exist (tasks: {', '.join(config.tasks) or 'none'})"
        )
    task = config.tasks[node.task]
    return task.step, sweep_from_task(task, where=f"{where} (task {node.task!r})")


def _check_sweep(template: NodeTemplate) -> None:
    """Refuse a sweep that can never run (unknown type, bad rules, too big) before anything starts.

    Edge values are only known at run time; the executor expands again then."""
    if template.sweep is None:
        return
    types = {name: p.type for name, p in template.parameters.items()}
    try:
        expand(template.sweep, types, template.spread(template.explicit))
    except SweepError as exc:
        raise PlanError(str(exc)) from None


def _apply_params(
    pipeline_name: str, nodes: dict[str, NodeTemplate], pparams: list[Any], params: dict[str, Any]
) -> None:
    """``NODE.PARAM=V`` sets one node parameter; ``NAME=V`` sets a pipeline parameter's targets."""
    by_name = {p.name: p for p in pparams}
    for key, value in params.items():
        if key in by_name:
            for target in by_name[key].targets:
                node, _type, pname = target.split(".", 2)
                if node in nodes:
                    nodes[node].explicit[pname] = value
            continue
        node, dot, pname = key.partition(".")
        if not dot or node not in nodes:
            raise PlanError(
                f"--param {key}: expected NODE.PARAM (nodes: {', '.join(nodes)}) "
                f"or a parameter of pipeline {pipeline_name!r}"
            )
        if pname not in nodes[node].parameters:
            raise PlanError(f"--param {key}: node {node!r} has no parameter {pname!r}")
        nodes[node].explicit[pname] = value


def attach_actions(plan: RunPlan, pipeline: Any) -> None:
    """Copy the pipeline nodes' actions onto the plan, refusing an invalid ``if`` up front.

    Raises ActionError naming the node and the expression."""
    for node in getattr(pipeline, "nodes", []):
        actions = list(getattr(node, "actions", None) or [])
        for action in actions:
            for expression in action.if_:
                problem = check_expression(expression)
                if problem is not None:
                    raise ActionError(
                        f"pipeline {plan.pipeline!r} node {node.name!r}: action `if` {expression!r} "
                        f"is not a valid expression ({problem})"
                    )
        if node.name in plan.nodes:
            plan.nodes[node.name].actions = actions
