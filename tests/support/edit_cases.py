"""Edits of steps, their parameters and inputs, pipelines and task blueprints, chosen for
one file from its data; :mod:`tests.support.edit_matrix` adds nodes and endpoints.

Each :class:`Case` says whether the edit may add lines and remove lines; changed lines are
always allowed, but only where they hold what changed (:mod:`tests.support.edit_oracle`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runner.config import edits, query


@dataclass(frozen=True)
class Case:
    name: str  # the edit function, then what it edits
    call: Callable[[Any], Any]  # the edit, on a YamlDocument or the plain oracle
    adds: bool = False  # may add lines
    removes: bool = False  # may remove lines

    @property
    def function(self) -> str:
        return self.name.split(" ", 1)[0]


def named(seq: Any) -> list[str]:
    return query.names(seq)


def field(body: dict[str, Any], key: str, value: Any) -> tuple[bool, bool]:
    """(adds, removes) of setting ``key`` to ``value``: a new key adds lines, None removes it;
    a block value replaced by a scalar (or the reverse) does both."""
    old = body.get(key)
    block = isinstance(old, list | dict) or (isinstance(old, str) and "\n" in old)
    return key not in body or block, value is None or block


def step_cases(data: Any) -> list[Case]:
    steps = [b for _i, b in query.items(data, "step") if isinstance(b.get("name"), str)]
    if not steps:
        return [
            Case(
                "add_step first",
                lambda d: edits.add_step(d, "added-step", "busybox", "echo added"),
                adds=True,
            )
        ]
    step, name = steps[0], steps[0]["name"]
    out = [
        Case(f"rename_step {name}", lambda d: edits.rename_step(d, name, name + "-renamed")),
        Case(
            f"set_step_field {name} image",
            lambda d: edits.set_step_field(d, name, "image", "busybox:edited"),
            *field(step, "image", "busybox:edited"),
        ),
        Case(
            f"set_step_field {name} description",
            lambda d: edits.set_step_field(d, name, "description", "A step, edited"),
            *field(step, "description", "x"),
        ),
        Case(
            "add_step added-step",
            lambda d: edits.add_step(d, "added-step", "busybox", "echo added"),
            adds=True,
        ),
        Case(
            "add_item pasted-step",
            lambda d: edits.add_item(d, "step", {**step, "name": "pasted-step"}),
            adds=True,
        ),
        Case(
            f"remove_step {steps[-1]['name']}",
            lambda d: edits.remove_step(d, steps[-1]["name"]),
            removes=True,
        ),
    ]
    if "description" in step or "time-limit" in step:
        key = "description" if "description" in step else "time-limit"
        out.append(
            Case(
                f"set_step_field {name} {key}=None",
                lambda d: edits.set_step_field(d, name, key, None),
                removes=True,
            )
        )
    return out


def spec_cases(data: Any) -> list[Case]:
    tables = (("parameters", "parameter"), ("inputs", "input"), ("outputs", "output"))
    return [case for table, what in tables for case in _table_cases(data, table, what)]


def _table_cases(data: Any, table: str, what: str) -> list[Case]:
    rename, remove, add = (getattr(edits, f"{verb}_{what}") for verb in ("rename", "remove", "add"))
    change = getattr(edits, f"set_{what}_field")
    holder = next(
        (b for _i, b in query.items(data, "step") if isinstance(b.get("name"), str) and named(b.get(table))),
        None,
    )
    if holder is None:
        return []
    step, spec_name = holder["name"], named(holder.get(table))[0]
    spec = query.named(holder.get(table), spec_name) or {}
    if what == "parameter":
        key, value = "default", new_default(spec.get("default"))
    else:
        key, value = "description", f"edited {what}"
    out = [
        Case(
            f"rename_{what} {step}/{spec_name}", lambda d: rename(d, step, spec_name, spec_name + "-renamed")
        ),
        Case(
            f"set_{what}_field {step}/{spec_name} {key}",
            lambda d: change(d, step, spec_name, key, value),
            *field(spec, key, value),
        ),
        Case(
            f"add_{what} {step}/added-{what}",
            lambda d: add(d, step, {"name": f"added-{what}", "optional": True}),
            adds=True,
        ),
        Case(f"remove_{what} {step}/{spec_name}", lambda d: remove(d, step, spec_name), removes=True),
    ]
    if key in spec:
        out.append(
            Case(
                f"set_{what}_field {step}/{spec_name} {key}=None",
                lambda d: change(d, step, spec_name, key, None),
                removes=True,
            )
        )
    return out


def new_default(old: Any) -> Any:
    if isinstance(old, bool):
        return not old
    if isinstance(old, int | float):
        return old + 1
    if isinstance(old, str):
        return old + "-edited"
    return 7


def named_pipelines(data: Any) -> list[dict[str, Any]]:
    return [b for _i, b in query.items(data, "pipeline") if isinstance(b.get("name"), str)]


def pipeline_cases(data: Any) -> list[Case]:
    pipelines = named_pipelines(data)
    out = [Case("add_pipeline added-pipeline", lambda d: edits.add_pipeline(d, "added-pipeline"), adds=True)]
    if not pipelines:
        return out
    name = pipelines[0]["name"]
    reuse = pipelines[0].get("reuse-executions")
    out += [
        Case(f"rename_pipeline {name}", lambda d: edits.rename_pipeline(d, name, name + "-renamed")),
        Case(
            f"remove_pipeline {pipelines[-1]['name']}",
            lambda d: edits.remove_pipeline(d, pipelines[-1]["name"]),
            removes=True,
        ),
        Case(
            f"set_reuse_executions {name}",
            lambda d: edits.set_reuse_executions(d, name, not reuse),
            adds=not reuse,
            removes=bool(reuse),
        ),
    ]
    params = named(pipelines[0].get("parameters"))
    nodes = [n for _i, n in query.nodes(pipelines[0]) if isinstance(n.get("name"), str)]
    target = _parameter_socket(data, nodes)
    out.append(
        Case(
            f"add_pipeline_parameter {name}/added",
            lambda d: edits.add_pipeline_parameter(
                d, name, "added-pipeline-parameter", 5, [target] if target else None
            ),
            adds=True,
        )
    )
    if params:
        param = params[0]
        out += [
            Case(
                f"rename_pipeline_parameter {name}/{param}",
                lambda d: edits.rename_pipeline_parameter(d, name, param, param + "-renamed"),
            ),
            Case(
                f"set_pipeline_parameter_field {name}/{param} description",
                lambda d: edits.set_pipeline_parameter_field(d, name, param, "description", "edited"),
                *field(_param(pipelines[0], param), "description", "x"),
            ),
            Case(
                f"remove_pipeline_parameter {name}/{param}",
                lambda d: edits.remove_pipeline_parameter(d, name, param),
                removes=True,
            ),
        ]
        if target:
            out.append(
                Case(
                    f"set_pipeline_parameter_targets {name}/{param}",
                    lambda d: edits.set_pipeline_parameter_targets(d, name, param, [target]),
                    adds=True,
                    removes=True,
                )
            )
    return out


def _param(pipeline: dict[str, Any], name: str) -> dict[str, Any]:
    return query.named(pipeline.get("parameters"), name) or {}


def _parameter_socket(data: Any, nodes: list[dict[str, Any]]) -> str | None:
    for node in nodes:
        step = query.node_step(data, node)
        names = named((step or {}).get("parameters"))
        if names and node.get("type") != "deployment":
            return f"{node['name']}.parameter.{names[0]}"
    return None


def task_cases(data: Any) -> list[Case]:
    tasks = [b for _i, b in query.items(data, "task") if isinstance(b.get("name"), str)]
    if not tasks:
        return []
    task = tasks[0]["name"]
    out = [
        Case(f"rename_task {task}", lambda d: edits.rename_task(d, task, task + "-renamed")),
        Case(
            f"set_task_field {task} execution-count",
            lambda d: edits.set_task_field(d, task, "execution-count", 5),
            *field(tasks[0], "execution-count", 5),
        ),
        Case(
            f"set_task_field {task} description",
            lambda d: edits.set_task_field(d, task, "description", "edited"),
            *field(tasks[0], "description", "x"),
        ),
    ]
    variants = named(tasks[0].get("parameters"))
    step = (
        query.item_body(data, "step", tasks[0].get("step")) if isinstance(tasks[0].get("step"), str) else None
    )
    free = [p for p in named((step or {}).get("parameters")) if p not in variants]
    if free:
        out.append(
            Case(f"add_variant {task}/{free[0]}", lambda d: edits.add_variant(d, task, free[0]), adds=True)
        )
        if variants:
            out.append(
                Case(
                    f"set_variant_parameter {task}/{variants[0]}",
                    lambda d: edits.set_variant_parameter(d, task, variants[0], free[0]),
                )
            )
    if tasks[0].get("type") == "manual_search" and step is not None and named(step.get("parameters")):
        first = named(step.get("parameters"))[0]
        out.append(
            Case(
                f"set_parameter_sets {task}",
                lambda d: edits.set_parameter_sets(d, task, [{first: 1}, {first: 2}]),
                adds=True,
                removes=True,
            )
        )
    styled = [
        v for v in tasks[0].get("parameters") or [] if isinstance(v, dict) and v.get("style") == "multiple"
    ]
    if styled and isinstance(styled[0].get("name"), str):
        varied = styled[0]["name"]
        out.append(
            Case(
                f"set_variant_rule {task}/{varied} items",
                lambda d: edits.set_variant_rule(d, task, varied, "items", [1, 2, 3]),
                adds=True,
                removes=True,
            )
        )
    if variants:
        out += [
            Case(
                f"set_variant_style {task}/{variants[0]}",
                lambda d: edits.set_variant_style(d, task, variants[0], "linear"),
                adds=True,
                removes=True,
            ),
            Case(
                f"remove_variant {task}/{variants[0]}",
                lambda d: edits.remove_variant(d, task, variants[0]),
                removes=True,
            ),
        ]
    return out
