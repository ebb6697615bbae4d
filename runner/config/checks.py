"""Our own pipeline checks, on top of valohai-yaml's: each problem with a position and a fix.

They run on the plain data, so they work even where valohai-yaml cannot build a Config.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from typing import Any

from runner.config import query
from runner.config.diagnostics import Diagnostic
from runner.config.loader import ConfigPath, LoadedConfig
from runner.config.sockets import ResolvedEdge, split_socket

# Which target socket types each source socket type may feed (valohai.yaml pipeline edges).
ALLOWED_TARGETS = {
    "output": {"input", "file"},
    "input": {"input", "file"},
    "parameter": {"parameter"},
    "metadata": {"parameter"},
    "deployment": {"parameter"},
    "environment-variable": {"environment-variable"},
    "dependency": {"dependency"},
}
SOURCE_TYPES = set(ALLOWED_TARGETS)
KNOWN_TYPES = {
    "output",
    "input",
    "parameter",
    "metadata",
    "file",
    "dependency",
    "deployment",
    "environment-variable",
}


def article(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def feeds_sentence(source_type: str) -> str:
    """``"an output can feed an input or a file"``."""
    targets = " or ".join(article(t) for t in sorted(ALLOWED_TARGETS.get(source_type, ())))
    return f"{article(source_type).capitalize()} can feed {targets or 'nothing'}"


@dataclass
class _Ctx:
    loaded: LoadedConfig
    steps: dict[str, dict[str, Any]]
    tasks: dict[str, dict[str, Any]]

    def diag(self, severity: str, message: str, hint: str, path: ConfigPath, code: str) -> Diagnostic:
        mark = self.loaded.locate(path)
        return Diagnostic(
            severity, message, hint, self.loaded.display_name, mark.line, mark.column, path, code
        )


def pipeline_checks(loaded: LoadedConfig) -> Iterator[Diagnostic]:
    data = loaded.data
    if not isinstance(data, list):
        mark = loaded.locate(())
        what = "the file is empty" if data is None else f"the top level is a {type(data).__name__}"
        yield Diagnostic(
            "error",
            f"{what}: a valohai.yaml is a list of steps, pipelines and endpoints",
            "start each item with '- step:', '- pipeline:' or '- endpoint:'",
            loaded.display_name,
            mark.line,
            mark.column,
            (),
            "top-level-not-list",
        )
        return
    ctx = _Ctx(loaded, query.index(data, "step"), query.index(data, "task"))
    yield from _duplicate_keys(ctx)
    yield from _duplicate_steps(ctx, data)
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            continue
        for key in ("pipeline", "blueprint"):
            body = item.get(key)
            if isinstance(body, dict):
                yield from _check_pipeline(ctx, body, (index, key))


def _duplicate_keys(ctx: _Ctx) -> Iterator[Diagnostic]:
    for path, mark in ctx.loaded.duplicate_keys:
        yield Diagnostic(
            "warning",
            f'the key "{path[-1]}" appears twice in the same mapping; YAML keeps only the last',
            "remove or rename one of them",
            ctx.loaded.display_name,
            mark.line,
            mark.column,
            path,
            "duplicate-key",
        )


def _duplicate_steps(ctx: _Ctx, data: list[Any]) -> Iterator[Diagnostic]:
    seen: set[str] = set()
    for index, item in enumerate(data):
        body = item.get("step") if isinstance(item, dict) else None
        name = body.get("name") if isinstance(body, dict) else None
        if isinstance(name, str):
            if name in seen:
                yield ctx.diag(
                    "warning",
                    f'a step named "{name}" is already defined above; this one is ignored',
                    "rename or remove one of the steps",
                    (index, "step", "name"),
                    "duplicate-step",
                )
            seen.add(name)


def _names(items: Any) -> dict[str, dict[str, Any]]:
    return {i["name"]: i for i in items or [] if isinstance(i, dict) and isinstance(i.get("name"), str)}


def _node_step(ctx: _Ctx, node: dict[str, Any]) -> dict[str, Any] | None:
    return query.node_step(ctx.loaded.data, node, steps=ctx.steps, tasks=ctx.tasks)


def _parse_edge(raw: Any, index: int, base: ConfigPath) -> tuple[ResolvedEdge, ConfigPath, ConfigPath] | None:
    if isinstance(raw, list) and len(raw) == 2:
        source, target, spaths = raw[0], raw[1], ((*base, index, 0), (*base, index, 1))
    elif isinstance(raw, dict):
        source, target = raw.get("source"), raw.get("target")
        spaths = ((*base, index, "source"), (*base, index, "target"))
    else:
        return None
    if not (isinstance(source, str) and isinstance(target, str)):
        return None
    s, t = split_socket(source), split_socket(target)
    if s is None or t is None:
        return None  # valohai-yaml reports malformed socket strings
    return ResolvedEdge(index, *s, *t), spaths[0], spaths[1]


def _check_pipeline(ctx: _Ctx, body: dict[str, Any], path: ConfigPath) -> Iterator[Diagnostic]:
    pname = body.get("name", "?")
    raw_nodes = body.get("nodes") if isinstance(body.get("nodes"), list) else []
    nodes: dict[str, dict[str, Any]] = {}
    counts = Counter(n["name"] for n in raw_nodes if isinstance(n, dict) and isinstance(n.get("name"), str))
    for i, node in enumerate(raw_nodes):
        if not isinstance(node, dict) or not isinstance(node.get("name"), str):
            continue
        npath = (*path, "nodes", i)
        name = node["name"]
        if name in nodes:
            yield ctx.diag(
                "error",
                f'pipeline "{pname}" has {counts[name]} nodes named "{name}"',
                "give every node a unique name",
                (*npath, "name"),
                "duplicate-node",
            )
            continue
        nodes[name] = node
        yield from _check_actions(ctx, node, npath)
        step = node.get("step")
        if isinstance(step, str) and step not in ctx.steps:
            known = ", ".join(sorted(ctx.steps)) or "none defined"
            yield ctx.diag(
                "error",
                f'node "{name}" uses step "{step}", which is not defined',
                f"define the step or use one of: {known}",
                (*npath, "step"),
                "node-unknown-step",
            )

    raw_edges = body.get("edges") if isinstance(body.get("edges"), list) else []
    parsed = [p for i, raw in enumerate(raw_edges) if (p := _parse_edge(raw, i, (*path, "edges")))]
    for edge, spath, tpath in parsed:
        yield from _check_edge(ctx, nodes, edge, spath, tpath)
    yield from _check_fan_in(ctx, nodes, parsed)

    # graphlib, not networkx: lint must start fast, and this is all it needs.
    predecessors: dict[str, set[str]] = {name: set() for name in nodes}
    for edge, _s, _t in parsed:
        if edge.source_node in nodes and edge.target_node in nodes:
            predecessors[edge.target_node].add(edge.source_node)
    try:
        TopologicalSorter(predecessors).prepare()
    except CycleError as exc:
        cycle = list(exc.args[1])
        closing = next(
            (p for p in parsed if (p[0].source_node, p[0].target_node) == (cycle[-2], cycle[-1])), None
        )
        where = closing[1] if closing else path
        yield ctx.diag(
            "error",
            f'pipeline "{pname}" has a cycle: {" → ".join(cycle)}',
            "remove one of the edges in the cycle; pipelines must be acyclic",
            where,
            "cycle",
        )
    if len(nodes) > 1:
        connected = {n for e, _s, _t in parsed for n in (e.source_node, e.target_node) if n in nodes}
        for i, node in enumerate(raw_nodes):
            name = node.get("name") if isinstance(node, dict) else None
            if isinstance(name, str) and name in nodes and name not in connected and nodes[name] is node:
                yield ctx.diag(
                    "warning",
                    f'node "{name}" is not connected to any other node',
                    "connect it with an edge, or move it to its own pipeline",
                    (*path, "nodes", i, "name"),
                    "node-unconnected",
                )


def _check_actions(ctx: _Ctx, node: dict[str, Any], npath: ConfigPath) -> Iterator[Diagnostic]:
    """Each action's ``if`` must be an expression the runner (and the platform) can evaluate."""
    actions = node.get("actions")
    if not isinstance(actions, list) or not actions:
        return
    from runner.execution.conditions import check_expression  # leval: only for files with actions

    for j, action in enumerate(actions):
        conditions = action.get("if") if isinstance(action, dict) else None
        listed = isinstance(conditions, list)
        for k, expression in enumerate(conditions if listed else [conditions]):
            if expression is None:
                continue
            problem = check_expression(str(expression))
            if problem is not None:
                yield ctx.diag(
                    "error",
                    f'node "{node["name"]}": action condition "{expression}" '
                    f"is not a valid expression ({problem})",
                    "write e.g. metadata.accuracy > 0.9 (names: metadata.<key>, parameter.<name>)",
                    (*npath, "actions", j, "if", *((k,) if listed else ())),
                    "action-condition",
                )


def _check_edge(
    ctx: _Ctx, nodes: dict[str, dict[str, Any]], edge: ResolvedEdge, spath: ConfigPath, tpath: ConfigPath
) -> Iterator[Diagnostic]:
    for side, node, kind, key, where in (
        ("source", edge.source_node, edge.source_type, edge.source_key, spath),
        ("target", edge.target_node, edge.target_type, edge.target_key, tpath),
    ):
        if node not in nodes:
            known = ", ".join(nodes) or "none"
            yield ctx.diag(
                "error",
                f'edge {side} names node "{node}", which is not in this pipeline',
                f"use one of the nodes: {known}",
                where,
                "edge-unknown-node",
            )
            return
        if kind not in KNOWN_TYPES or (side == "source" and kind not in SOURCE_TYPES):
            allowed = ", ".join(sorted(SOURCE_TYPES if side == "source" else KNOWN_TYPES))
            yield ctx.diag(
                "error",
                f'edge {side} type "{kind}" is not valid here',
                f"use one of: {allowed}",
                where,
                "edge-bad-type",
            )
            return
        if not key:
            yield ctx.diag(
                "error",
                f"edge {side} {kind} name is empty",
                "name the output pattern, input, parameter or metadata key after the second dot",
                where,
                "edge-empty-key",
            )
            return
    if edge.target_type not in ALLOWED_TARGETS[edge.source_type]:
        yield ctx.diag(
            "error",
            f"an edge from {edge.source_type} '{edge.source_key}' cannot feed "
            f"{edge.target_type} '{edge.target_key}'",
            f"{feeds_sentence(edge.source_type)}; change the target or use another source",
            tpath,
            "edge-port-mismatch",
        )
        return
    for node_name, kind, key, where in (
        (edge.source_node, edge.source_type, edge.source_key, spath),
        (edge.target_node, edge.target_type, edge.target_key, tpath),
    ):
        if kind not in ("input", "parameter"):
            continue
        step = _node_step(ctx, nodes[node_name])
        if step is None:
            continue  # unknown step or deployment node: reported elsewhere
        table = _names(step.get("inputs" if kind == "input" else "parameters"))
        override = nodes[node_name].get("override")
        if isinstance(override, dict):
            table.update(_names(override.get("inputs" if kind == "input" else "parameters")))
        if key not in table:
            known = ", ".join(table) or "none"
            # A warning, not an error: Valohai accepts such edges, but they carry nothing.
            yield ctx.diag(
                "warning",
                f'step "{step.get("name")}" of node "{node_name}" has no {kind} "{key}"; '
                "this edge carries nothing",
                f"use one of its {kind}s: {known}",
                where,
                f"edge-unknown-{kind}",
            )


def _check_fan_in(
    ctx: _Ctx, nodes: dict[str, dict[str, Any]], parsed: list[tuple[ResolvedEdge, ConfigPath, ConfigPath]]
) -> Iterator[Diagnostic]:
    feeds: dict[tuple[str, str, str], list[ConfigPath]] = defaultdict(list)
    for edge, _s, tpath in parsed:
        feeds[(edge.target_node, edge.target_type, edge.target_key)].append(tpath)
    for (node_name, kind, key), paths in feeds.items():
        if len(paths) < 2 or node_name not in nodes:
            continue
        if kind == "parameter":
            yield ctx.diag(
                "error",
                f'parameter "{key}" of node "{node_name}" is fed by {len(paths)} edges',
                "only one edge may set a parameter; remove the others",
                paths[1],
                "parameter-fan-in",
            )
        elif kind == "input":
            step = _node_step(ctx, nodes[node_name])
            spec = _names(step.get("inputs")).get(key) if step else None
            if spec and spec.get("filename"):
                yield ctx.diag(
                    "error",
                    f'input "{key}" of node "{node_name}" takes a single file '
                    f"(filename: {spec['filename']}) but is fed by {len(paths)} edges",
                    "remove the extra edges or the input's filename",
                    paths[1],
                    "input-fan-in",
                )
