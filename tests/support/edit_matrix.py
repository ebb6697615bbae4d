"""Every kind of edit the designer makes, chosen for one file from its data.

:func:`cases` picks, for each edit function of ``runner.config.edits``, a target that exists
in the file (the first step with parameters, the first node of the first pipeline, ...) and
a new name or value, so that one file yields one concrete edit per kind it has something
for. Each case says whether it may add lines and remove lines; changed lines are always
allowed, but only where they hold what changed (:mod:`tests.support.edit_oracle`).
Steps, pipelines and tasks are in :mod:`tests.support.edit_cases`; nodes, their details
and endpoints here.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from runner.config import ConfigLoadError, edits, load, query
from runner.config.loader import read_text
from tests.support.corpus import all_files, file_id
from tests.support.edit_cases import (
    Case,
    field,
    named,
    named_pipelines,
    pipeline_cases,
    spec_cases,
    step_cases,
    task_cases,
)

__all__ = ["Case", "cases", "editable_files"]


@functools.cache
def editable_files() -> tuple[tuple[str, str, Path | None], ...]:
    """(id, text, path) of every file the edits are proven on: the pattern files written
    here (:mod:`tests.support.edit_patterns`) and every corpus file an edit can load."""
    from tests.support.edit_patterns import PATTERNS

    found: list[tuple[str, str, Path | None]] = [(f"pattern/{k}", v, None) for k, v in PATTERNS.items()]
    for path in all_files():
        try:
            load(path)
        except ConfigLoadError:
            continue  # unreadable YAML: nothing to edit (the hostile-file tests cover it)
        found.append((file_id(path), read_text(path)[1], path))
    return tuple(found)


def cases(data: Any) -> list[Case]:
    """One case per kind of edit this file has something for."""
    found: list[Case] = []
    for make in (
        step_cases,
        spec_cases,
        pipeline_cases,
        _node_cases,
        _node_detail_cases,
        task_cases,
        _endpoint_cases,
    ):
        found += make(data)
    return found


def _node_cases(data: Any) -> list[Case]:
    pipelines = named_pipelines(data)
    steps = [b["name"] for _i, b in query.items(data, "step") if isinstance(b.get("name"), str)]
    if not pipelines:
        return []
    name = pipelines[0]["name"]
    out: list[Case] = []
    if steps:
        out.append(
            Case(
                f"add_node {name}/added-node",
                lambda d: edits.add_node(d, name, "added-node", steps[0]),
                adds=True,
            )
        )
    nodes = [n for _i, n in query.nodes(pipelines[0]) if isinstance(n.get("name"), str)]
    if not nodes:
        return out
    node = nodes[0]["name"]
    pasted = {**nodes[0], "name": "pasted-node"}
    out.append(
        Case(f"add_node_body {name}/pasted-node", lambda d: edits.add_node_body(d, name, pasted), adds=True)
    )
    out += [
        Case(f"rename_node {name}/{node}", lambda d: edits.rename_node(d, name, node, node + "-renamed")),
        Case(
            f"remove_node {name}/{nodes[-1]['name']}",
            lambda d: edits.remove_node(d, name, nodes[-1]["name"]),
            removes=True,
        ),
    ]
    merge = nodes[0].get("edge-merge-mode")
    new_merge = "append" if merge != "append" else "replace"
    out.append(
        Case(
            f"set_node_field {name}/{node} edge-merge-mode",
            lambda d: edits.set_node_field(d, name, node, "edge-merge-mode", new_merge),
            *field(nodes[0], "edge-merge-mode", new_merge),
        )
    )
    edge = _new_edge(data, pipelines[0])
    if edge:
        out.append(Case(f"add_edge {name}/{edge[0]}", lambda d: edits.add_edge(d, name, *edge), adds=True))
    executions = [n for n in nodes if n.get("type") == "execution" and isinstance(n.get("step"), str)]
    if executions:
        out.append(
            Case(
                f"set_node_type {name}/{executions[0]['name']}",
                lambda d: edits.set_node_type(d, name, executions[0]["name"], "task"),
            )
        )
    edges = query.edges(pipelines[0])
    if edges:
        source, target = query.edge_sockets(edges[0])
        if isinstance(source, str) and isinstance(target, str):
            out.append(
                Case(f"set_edge {name}/0", lambda d: edits.set_edge(d, name, 0, source + "-edited", target))
            )
        out.append(Case(f"remove_edge {name}/0", lambda d: edits.remove_edge(d, name, 0), removes=True))
    return out


def _new_edge(data: Any, pipeline: dict[str, Any]) -> tuple[str, str] | None:
    """An edge the pipeline lacks that check_edge accepts (output to input, else parameter to parameter)."""
    from runner.config.errors import EditError
    from runner.config.loader import LoadedConfig
    from tests.support.edit_targets import edge_candidates

    loaded = LoadedConfig("", data)
    for source, target in edge_candidates(data, pipeline):
        try:
            edits.check_edge(loaded, pipeline["name"], source, target)
        except EditError:
            continue
        return source, target
    return None


def _node_detail_cases(data: Any) -> list[Case]:
    """Overrides and actions of the first execution node with a step."""
    pipelines = named_pipelines(data)
    if not pipelines:
        return []
    name = pipelines[0]["name"]
    for node in (n for _i, n in query.nodes(pipelines[0]) if n.get("type", "execution") == "execution"):
        step = query.node_step(data, node)
        if isinstance(node.get("name"), str) and step is not None:
            break
    else:
        return []
    node_name = node["name"]
    override = node.get("override") if isinstance(node.get("override"), dict) else {}
    out = [
        Case(
            f"set_override_field {name}/{node_name} image",
            lambda d: edits.set_override_field(d, name, node_name, "image", "busybox:override"),
            *field(override, "image", "x"),
        ),
        Case(
            f"set_override_extra {name}/{node_name}",
            lambda d: edits.set_override_extra(d, name, node_name, {"autorestart": True}),
            adds=True,
            removes=True,
        ),
        Case(
            f"add_action {name}/{node_name}",
            lambda d: edits.add_action(d, name, node_name, {"when": "node-complete", "then": "noop"}),
            adds=True,
        ),
    ]
    params = named(step.get("parameters"))
    if params:
        out.append(
            Case(
                f"set_override_value {name}/{node_name}/{params[0]}",
                lambda d: edits.set_override_value(d, name, node_name, "parameters", params[0], 42),
                adds=True,
            )
        )
        if any(p.get("name") == params[0] for p in (override.get("parameters") or []) if isinstance(p, dict)):
            out.append(
                Case(
                    f"set_override_value {name}/{node_name}/{params[0]}=None",
                    lambda d: edits.set_override_value(d, name, node_name, "parameters", params[0], None),
                    removes=True,
                )
            )
    variables = named(override.get("environment-variables"))
    if variables:
        out.append(
            Case(
                f"rename_override_variable {name}/{node_name}/{variables[0]}",
                lambda d: edits.rename_override_variable(
                    d, name, node_name, variables[0], variables[0] + "_RENAMED"
                ),
            )
        )
    if isinstance(node.get("actions"), list) and node["actions"]:
        out += [
            Case(
                f"set_action_field {name}/{node_name}/0",
                lambda d: edits.set_action_field(d, name, node_name, 0, "then", "stop-pipeline"),
                adds=True,
                removes=True,
            ),
            Case(
                f"remove_action {name}/{node_name}/0",
                lambda d: edits.remove_action(d, name, node_name, 0),
                removes=True,
            ),
        ]
    out.append(
        Case(f"create_sweep {name}/{node_name}", lambda d: edits.create_sweep(d, name, node_name), adds=True)
    )
    return out


def _endpoint_cases(data: Any) -> list[Case]:
    out = [
        Case(
            "add_endpoint added-endpoint",
            lambda d: edits.add_endpoint(d, "added-endpoint", "busybox"),
            adds=True,
        )
    ]
    endpoints = [b for _i, b in query.items(data, "endpoint") if isinstance(b.get("name"), str)]
    if endpoints:
        endpoint = endpoints[0]["name"]
        out += [
            Case(
                f"rename_endpoint {endpoint}",
                lambda d: edits.rename_endpoint(d, endpoint, endpoint + "-renamed"),
            ),
            Case(
                f"set_endpoint_field {endpoint} description",
                lambda d: edits.set_endpoint_field(d, endpoint, "description", "edited"),
                *field(endpoints[0], "description", "x"),
            ),
            Case(f"remove_endpoint {endpoint}", lambda d: edits.remove_endpoint(d, endpoint), removes=True),
            Case(
                f"add_endpoint_file {endpoint}/added-file",
                lambda d: edits.add_endpoint_file(d, endpoint, "added-file", "model/added.bin"),
                adds=True,
            ),
        ]
        files = named(endpoints[0].get("files"))
        if files:
            out += [
                Case(
                    f"set_endpoint_file_field {endpoint}/{files[0]} path",
                    lambda d: edits.set_endpoint_file_field(d, endpoint, files[0], "path", "edited/path.bin"),
                ),
                Case(
                    f"remove_endpoint_file {endpoint}/{files[0]}",
                    lambda d: edits.remove_endpoint_file(d, endpoint, files[0]),
                    removes=True,
                ),
            ]
        pipelines = named_pipelines(data)
        if pipelines:
            p = pipelines[0]["name"]
            out.append(
                Case(
                    f"add_deployment_node {p}/added-deployment-node",
                    lambda d: edits.add_deployment_node(
                        d, p, "added-deployment-node", "edited-deployment", [endpoint]
                    ),
                    adds=True,
                )
            )
    deployment = next(
        (
            (p["name"], n)
            for p in named_pipelines(data)
            for _i, n in query.nodes(p)
            if n.get("type") == "deployment" and isinstance(n.get("name"), str)
        ),
        None,
    )
    if deployment is not None:
        p, node = deployment
        n = node["name"]
        out.append(
            Case(
                f"set_deployment_node_field {p}/{n}",
                lambda d: edits.set_deployment_node_field(d, p, n, "deployment", "edited-deployment"),
                *field(node, "deployment", "x"),
            )
        )
    return out
    return out
