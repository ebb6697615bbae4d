"""Automatic layered layout, left to right along the DAG (a small Sugiyama-style pass)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

import networkx as nx

from runner.dag.graph import PipelineGraph

COLUMN_WIDTH = 320.0
ROW_HEIGHT = 180.0


def layers(graph: nx.DiGraph) -> list[list[str]]:
    """Nodes by longest-path depth; a cyclic graph is layered with its back edges ignored."""
    dag = graph
    if not nx.is_directed_acyclic_graph(graph):
        dag = nx.DiGraph(graph)
        dag.remove_edges_from(_back_edges(graph))
    depth: dict[str, int] = {}
    for node in nx.topological_sort(dag):
        depth[node] = max((depth[p] + 1 for p in dag.predecessors(node)), default=0)
    result: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for node in graph.nodes:  # YAML order within a layer, before crossing reduction
        result[depth[node]].append(node)
    return result


def _back_edges(graph: nx.DiGraph) -> list[tuple[str, str]]:
    back: list[tuple[str, str]] = []
    state: dict[str, int] = {}
    for root in graph.nodes:
        if root in state:
            continue
        stack = [(root, iter(graph.successors(root)))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.append((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(graph.successors(child))))
    return back


def _reduce_crossings(graph: nx.DiGraph, columns: list[list[str]], sweeps: int = 4) -> None:
    """Barycentre ordering, sweeping right then left."""
    for sweep in range(sweeps):
        forward = sweep % 2 == 0
        indices = range(1, len(columns)) if forward else range(len(columns) - 2, -1, -1)
        for i in indices:
            neighbour = columns[i - 1] if forward else columns[i + 1]
            rank = {n: r for r, n in enumerate(neighbour)}
            current = {n: r for r, n in enumerate(columns[i])}

            linked = graph.predecessors if forward else graph.successors
            columns[i].sort(key=partial(_barycentre, linked, rank, current))


def _barycentre(
    linked: Callable[[str], Iterable[str]], rank: dict[str, int], current: dict[str, int], node: str
) -> float:
    ranks = [rank[n] for n in linked(node) if n in rank]
    return sum(ranks) / len(ranks) if ranks else float(current[node])


def layered_layout(
    pipeline: PipelineGraph, column_width: float = COLUMN_WIDTH, row_height: float = ROW_HEIGHT
) -> dict[str, tuple[float, float]]:
    """Top-left positions for every node: sources on the left, each layer a column."""
    graph = pipeline.graph
    columns = layers(graph)
    _reduce_crossings(graph, columns)
    tallest = max((len(c) for c in columns), default=0)
    positions: dict[str, tuple[float, float]] = {}
    for x, column in enumerate(columns):
        top = (tallest - len(column)) * row_height / 2  # centre short columns
        for y, node in enumerate(column):
            positions[node] = (x * column_width, top + y * row_height)
    return positions
