"""A plain, read-only description of one pipeline as the canvas draws it.

Derived from the typed config after every edit and never edited itself. Keeping it free of Qt
lets the document diff two versions and emit fine-grained signals, and lets tests compare it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from designer.document.model_api import ResolvedEdge, resolve_edges


@dataclass(frozen=True)
class Port:
    """One socket on a node. ``side`` is "in" (edge targets) or "out" (edge sources)."""

    node: str
    side: str
    type: str  # input | parameter | file | output | metadata
    key: str
    declared: bool = True  # False: only named by an edge (shown in red when unknown)

    @property
    def ref(self) -> str:
        return f"{self.node}.{self.type}.{self.key}"

    @property
    def label(self) -> str:
        return self.key


@dataclass(frozen=True)
class NodeView:
    name: str
    type: str  # execution | task | deployment
    step: str | None
    image: str | None
    in_ports: tuple[Port, ...]
    out_ports: tuple[Port, ...]
    missing_step: bool = False
    blueprint: str | None = None  # a task node's sweep blueprint (its ``task:``)
    endpoints: tuple[str, ...] = ()  # a deployment node's endpoints

    def port(self, side: str, type_: str, key: str) -> Port | None:
        for p in self.in_ports if side == "in" else self.out_ports:
            if p.type == type_ and p.key == key:
                return p
        return None


@dataclass
class PipelineView:
    name: str
    nodes: dict[str, NodeView] = field(default_factory=dict)
    edges: list[ResolvedEdge] = field(default_factory=list)


def _step_name(config: Any, node: Any) -> str | None:
    """The node's step: its own ``step:``, or for ``task: BLUEPRINT`` the blueprint's step."""
    step_name = getattr(node, "step", None)
    if not step_name and getattr(node, "task", None):
        blueprint = config.tasks.get(node.task)
        step_name = getattr(blueprint, "step", None)
    return step_name


def _step_of(config: Any, node: Any) -> Any:
    step_name = _step_name(config, node)
    return config.steps.get(step_name) if step_name else None


def _node_type(node: Any) -> str:
    return str(getattr(node, "type", None) or type(node).__name__.replace("Node", "").lower())


def describe_pipeline(config: Any, name: str) -> PipelineView:
    """Project ``config.pipelines[name]`` onto nodes with ports and resolved edges."""
    pipeline = config.pipelines[name]
    view = PipelineView(name=name)
    edges = resolve_edges(pipeline)
    view.edges = edges
    edges_by_node: dict[str, list[ResolvedEdge]] = {}
    for e in edges:
        edges_by_node.setdefault(e.source_node, []).append(e)
        if e.target_node != e.source_node:
            edges_by_node.setdefault(e.target_node, []).append(e)
    for node in pipeline.nodes:
        view.nodes[node.name] = _describe_node(config, node, edges_by_node)
    return view


def _describe_node(config: Any, node: Any, edges_by_node: dict[str, list[ResolvedEdge]]) -> NodeView:
    ntype = _node_type(node)
    step = _step_of(config, node)
    ins: list[Port] = []
    outs: list[Port] = []
    name = node.name
    if ntype == "deployment":
        for ep_name in getattr(node, "endpoints", None) or []:
            ep = config.endpoints.get(ep_name)
            for f in getattr(ep, "files", None) or []:
                ins.append(Port(name, "in", "file", f"{ep_name}.{f.name}"))
    elif step is not None:
        ins += [Port(name, "in", "input", k) for k in step.inputs]
        ins += [Port(name, "in", "parameter", k) for k in step.parameters]
    # Output ports: "*", the step's declared outputs, and any other pattern an edge names (a step
    # need not declare its outputs); inputs/parameters named by an edge but absent are "missing".
    seen_in = {(p.type, p.key) for p in ins}
    declared_in = set(seen_in)
    seen_out: set[tuple[str, str]] = set()
    if ntype != "deployment":
        outs.append(Port(name, "out", "output", "*"))
        seen_out.add(("output", "*"))
        for declared_output in _declared_outputs(step):  # the step's `outputs:` (file names or globs)
            if ("output", declared_output) not in seen_out:
                seen_out.add(("output", declared_output))
                outs.append(Port(name, "out", "output", declared_output))
    for e in edges_by_node.get(name, ()):
        if e.target_node == name and (e.target_type, e.target_key) not in seen_in:
            seen_in.add((e.target_type, e.target_key))
            ins.append(Port(name, "in", e.target_type, e.target_key, declared=False))
        if e.source_node == name and (e.source_type, e.source_key) not in seen_out:
            seen_out.add((e.source_type, e.source_key))
            declared = e.source_type in ("output", "metadata") or (e.source_type, e.source_key) in declared_in
            outs.append(Port(name, "out", e.source_type, e.source_key, declared=declared))
    return NodeView(
        name=name,
        type=ntype,
        step=_step_name(config, node) or getattr(node, "deployment", None),
        image=getattr(step, "image", None) if step is not None else None,
        in_ports=tuple(ins),
        out_ports=tuple(_sorted_outputs(outs)),
        missing_step=ntype != "deployment" and step is None,
        blueprint=getattr(node, "task", None),
        endpoints=tuple(str(e) for e in getattr(node, "endpoints", None) or ()),
    )


def _declared_outputs(step: Any) -> list[str]:
    items = (getattr(step, "outputs", None) or []) if step is not None else []
    return [str(o["name"]) for o in items if isinstance(o, dict) and o.get("name")]


def _sorted_outputs(outs: list[Port]) -> list[Port]:
    # Concrete outputs first, the free pattern "*" last, then the other source kinds.
    order = {"output": 0, "metadata": 1, "input": 2, "parameter": 3}
    return sorted(outs, key=lambda p: (order.get(p.type, 4), p.key == "*"))


def view_changes(before: PipelineView, after: PipelineView) -> Iterator[tuple[str, tuple[str, ...]]]:
    """What differs between two views of one pipeline, as (the document's signal, its arguments
    after the pipeline's name): nodes removed, added and changed, then edges removed and added."""
    for node in before.nodes:
        if node not in after.nodes:
            yield "node_removed", (node,)
    for node, nv in after.nodes.items():
        if node not in before.nodes:
            yield "node_added", (node,)
        elif before.nodes[node] != nv:
            yield "node_changed", (node,)
    old_edges = Counter((e.source, e.target) for e in before.edges)
    new_edges = Counter((e.source, e.target) for e in after.edges)
    for s, t in (old_edges - new_edges).elements():
        yield "edge_removed", (s, t)
    for s, t in (new_edges - old_edges).elements():
        yield "edge_added", (s, t)
