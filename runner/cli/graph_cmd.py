"""``pipeline-designer graph FILE --pipeline NAME [--format text|dot|json]``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from runner.config import ConfigLoadError, load
from runner.config.diagnostics import JSON_FORMAT_VERSION
from runner.config.errors import UnknownNameError

if TYPE_CHECKING:
    from runner.dag import PipelineGraph


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "graph",
        help="print a pipeline's DAG as text, Graphviz dot or JSON",
        description="Print a pipeline's nodes in execution order and its resolved edges.",
    )
    parser.add_argument("file", help="the valohai.yaml (or a folder containing one)")
    parser.add_argument("--pipeline", "-p", help="pipeline name (optional when the file has only one)")
    parser.add_argument("--format", choices=("text", "dot", "json"), default="text", help="output format")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        loaded = load(args.file)
    except ConfigLoadError as exc:
        print(exc.format(), file=sys.stderr)
        return 1 if exc.readable else 2
    config = loaded.config
    if config is None:
        print(
            f"{loaded.display_name}: error: not a valid valohai.yaml; run `pipeline-designer lint`",
            file=sys.stderr,
        )
        return 1
    name = args.pipeline
    if name is None:
        if len(config.pipelines) != 1:
            names = ", ".join(config.pipelines) or "none"
            print(
                f"{loaded.display_name}: error: choose a pipeline with --pipeline (pipelines: {names})",
                file=sys.stderr,
            )
            return 1
        name = next(iter(config.pipelines))
    from runner.dag import PipelineGraph  # networkx is slow to import; only this command needs it

    try:
        graph = PipelineGraph.build(config, name)
    except UnknownNameError as exc:
        print(f"{loaded.display_name}: error: {exc}", file=sys.stderr)
        return 1
    cycle = graph.find_cycle()
    if cycle:
        print(
            f"{loaded.display_name}: error: pipeline {name!r} has a cycle: {' → '.join(cycle)}",
            file=sys.stderr,
        )
        return 1
    print({"text": to_text, "dot": to_dot, "json": to_json}[args.format](graph))
    return 0


def _describe(node: object) -> str:
    ref = getattr(node, "step", None) or getattr(node, "template", None) or getattr(node, "deployment", None)
    return f"{node.type}, {ref}" if ref else str(node.type)  # type: ignore[attr-defined]


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def to_text(graph: PipelineGraph) -> str:
    order = graph.topological_order()
    lines = [
        f'pipeline "{graph.name}": {_count(len(order), "node")}, {_count(len(graph.edges), "edge")}',
        "order: " + " → ".join(order),
        "",
    ]
    for name in order:
        lines.append(f"{name}  ({_describe(graph.node(name))})")
        for edge in graph.outgoing(name):
            lines.append(
                f"  {edge.source_type} {edge.source_key} → "
                f"{edge.target_node} {edge.target_type} {edge.target_key}"
            )
    return "\n".join(lines)


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(graph: PipelineGraph) -> str:
    lines = [f"digraph {_dot_id(graph.name)} {{", "  rankdir=LR;", "  node [shape=box, style=rounded];"]
    for name in graph.topological_order():
        label = f"{name}\\n({_describe(graph.node(name))})"
        lines.append(f"  {_dot_id(name)} [label={_dot_id(label)}];")
    for edge in graph.edges:
        if edge.source_node in graph.graph and edge.target_node in graph.graph:
            label = f"{edge.source_key} → {edge.target_key}"
            lines.append(
                f"  {_dot_id(edge.source_node)} -> {_dot_id(edge.target_node)} [label={_dot_id(label)}];"
            )
    lines.append("}")
    return "\n".join(lines)


def to_json(graph: PipelineGraph) -> str:
    order = graph.topological_order()
    nodes = []
    for name in order:
        node = graph.node(name)
        nodes.append(
            {
                "name": name,
                "type": node.type,
                "step": getattr(node, "step", None),
                "task": getattr(node, "template", None),
                "deployment": getattr(node, "deployment", None),
                "ancestors": sorted(graph.ancestors(name), key=order.index),
                "descendants": sorted(graph.descendants(name), key=order.index),
            }
        )
    edges = [
        {
            "index": e.index,
            "source": {"node": e.source_node, "type": e.source_type, "key": e.source_key},
            "target": {"node": e.target_node, "type": e.target_type, "key": e.target_key},
        }
        for e in graph.edges
    ]
    return json.dumps(
        {
            "format_version": JSON_FORMAT_VERSION,
            "pipeline": graph.name,
            "order": order,
            "generations": graph.generations(),
            "nodes": nodes,
            "edges": edges,
        },
        indent=2,
    )
