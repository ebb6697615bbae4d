"""Copied nodes as data, and how they land in a file (no Qt here).

A copy holds each node's whole YAML body (override, actions, on-error, edge-merge-mode, task
or deployment fields), its position, the edges between the copied nodes, and the steps, task
blueprints and endpoints those nodes need, so a paste into another file brings what makes the
nodes work there. ``plan_paste`` decides the new names; a needed item whose name the file
already uses for something different is a clash the caller resolves (keep the file's, or add
the copied one under a new name).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from designer.document.model_api import query, to_plain

MARKER = "pipeline-designer/nodes:"
KINDS = ("step", "task", "endpoint")  # added in this order: a task names its step
KEEP, COPY = "keep", "copy"  # a clash resolved: use the file's item, or add the copied one renamed
XY = tuple[float, float]
ItemKey = tuple[str, str]  # (kind, name)


def unique_name(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``… whichever is free."""
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


@dataclass
class Clip:
    nodes: list[dict[str, Any]]  # {"body": node mapping, "pos": [x, y]}
    edges: list[tuple[str, str]] = field(default_factory=list)  # both ends among the nodes
    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind -> name -> body

    def to_text(self) -> str:
        return MARKER + json.dumps({"nodes": self.nodes, "edges": self.edges, "items": self.items})

    @classmethod
    def from_text(cls, text: str) -> Clip | None:
        """The clip in a clipboard text, or None when it holds something else."""
        if not text.startswith(MARKER):
            return None
        try:
            raw = json.loads(text[len(MARKER) :])
            nodes = [
                n for n in raw["nodes"] if isinstance(n.get("body"), dict) and len(n.get("pos", ())) == 2
            ]
            edges = [(str(s), str(t)) for s, t in raw.get("edges") or []]
            items = {k: dict(v) for k, v in (raw.get("items") or {}).items() if k in KINDS}
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        return cls(nodes, edges, items) if nodes else None


def copy_nodes(data: Any, pipeline: str, names: list[str], positions: dict[str, XY]) -> Clip:
    """What Copy puts on the clipboard for the nodes ``names`` of ``pipeline``."""
    bodies = [to_plain(b) for n in names if (b := query.node_body(data, pipeline, n)) is not None]
    clip = Clip([{"body": b, "pos": list(positions.get(b["name"], (0.0, 0.0)))} for b in bodies])
    chosen = {b["name"] for b in bodies}
    for edge in query.edges(query.item_body(data, "pipeline", pipeline)):
        source, target = query.edge_sockets(edge)
        if query.socket_node(source) in chosen and query.socket_node(target) in chosen:
            clip.edges.append((str(source), str(target)))
    for body in bodies:
        for kind, name in _needs(data, body):
            item = query.item_body(data, kind, name)
            if item is not None:
                clip.items.setdefault(kind, {})[name] = to_plain(item)
    return clip


def _needs(data: Any, node: dict[str, Any]) -> list[ItemKey]:
    """The top-level items a node refers to: its step or task blueprint (and that one's step),
    a deployment's endpoints."""
    found: list[ItemKey] = []
    if isinstance(node.get("task"), str):
        found.append(("task", node["task"]))
    step = query.node_step_name(data, node)
    if step is not None:
        found.append(("step", step))
    found += [("endpoint", e) for e in node.get("endpoints") or [] if isinstance(e, str)]
    return found


def clashes(clip: Clip, data: Any) -> list[ItemKey]:
    """Needed items whose name this file already uses for something different."""
    return [
        (kind, name)
        for kind in KINDS
        for name, body in clip.items.get(kind, {}).items()
        if (mine := query.item_body(data, kind, name)) is not None and to_plain(mine) != body
    ]


@dataclass
class PastePlan:
    nodes: list[dict[str, Any]]  # bodies under their new names
    positions: dict[str, XY]
    edges: list[tuple[str, str]]
    items: list[tuple[str, dict[str, Any]]]  # (kind, body) to add to the file

    @property
    def names(self) -> list[str]:
        return [n["name"] for n in self.nodes]


def plan_paste(
    clip: Clip, data: Any, taken: set[str], offset: XY, resolved: dict[ItemKey, str] | None = None
) -> PastePlan:
    """The nodes under free names, moved by ``offset``; the items the file lacks (a clash
    resolved ``COPY`` adds the copied item under a free name, ``KEEP`` or unresolved uses the file's)."""
    renamed: dict[ItemKey, str] = {}
    add: list[tuple[str, dict[str, Any]]] = []
    for kind in KINDS:
        names = set(query.index(data, kind))
        for name, body in clip.items.get(kind, {}).items():
            if name not in names:
                add.append((kind, copy.deepcopy(body)))
                names.add(name)
            elif (resolved or {}).get((kind, name)) == COPY and to_plain(
                query.item_body(data, kind, name)
            ) != body:
                new = unique_name(name, names)
                names.add(new)
                renamed[(kind, name)] = new
                add.append((kind, {**copy.deepcopy(body), "name": new}))
    for kind, body in add:
        if kind == "task" and ("step", body.get("step")) in renamed:
            body["step"] = renamed[("step", body["step"])]
    taken = set(taken)
    node_names: dict[str, str] = {}
    plan = PastePlan([], {}, [], add)
    for entry in clip.nodes:
        body = copy.deepcopy(entry["body"])
        new = node_names[body["name"]] = unique_name(str(body["name"]), taken)
        taken.add(new)
        body["name"] = new
        _follow_renames(body, renamed)
        plan.nodes.append(body)
        x, y = entry["pos"]
        plan.positions[new] = (float(x) + offset[0], float(y) + offset[1])
    for source, target in clip.edges:
        plan.edges.append((_socket(source, node_names, renamed), _socket(target, node_names, renamed)))
    return plan


def _follow_renames(node: dict[str, Any], renamed: dict[ItemKey, str]) -> None:
    for key, kind in (("step", "step"), ("task", "task")):
        if (kind, node.get(key)) in renamed:
            node[key] = renamed[(kind, node[key])]
    if isinstance(node.get("endpoints"), list):
        node["endpoints"] = [renamed.get(("endpoint", e), e) for e in node["endpoints"]]


def _socket(socket: str, nodes: dict[str, str], renamed: dict[ItemKey, str]) -> str:
    """``node.type.key`` under the pasted node's name (a deployment file key under its endpoint's)."""
    node, type_, key = [*socket.split(".", 2), "", ""][:3]
    if type_ == "file":
        endpoint, dot, file = key.partition(".")
        key = renamed.get(("endpoint", endpoint), endpoint) + dot + file
    return ".".join((nodes.get(node, node), type_, key))
