"""Edits of a pipeline's edges: check, add, remove and re-point them.

A new edge takes the form the pipeline already uses (the ``[source, target]`` shorthand
unless every edge is written as a ``{source, target}`` mapping).
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from runner.config.document import YamlDocument
from runner.config.edits._tree import as_list, find
from runner.config.errors import CycleError, DuplicateEdgeError, PortMismatchError, UnknownNameError
from runner.config.loader import LoadedConfig

__all__ = ["add_edge", "check_edge", "remove_edge", "set_edge"]


def check_edge(loaded: LoadedConfig, pipeline: str, source: str, target: str) -> None:
    """Raise an EdgeError if ``source`` → ``target`` cannot be added to ``pipeline``."""
    from runner.config.checks import ALLOWED_TARGETS, article, feeds_sentence
    from runner.dag.graph import PipelineGraph

    config = loaded.config
    if config is None or pipeline not in config.pipelines:
        raise UnknownNameError(f'There is no pipeline named "{pipeline}"')
    graph = PipelineGraph.from_pipeline(config.pipelines[pipeline])
    s, t = source.split(".", 2), target.split(".", 2)
    if len(s) != 3 or len(t) != 3 or not all(s) or not all(t):
        raise PortMismatchError("An edge end must look like node.type.key, e.g. train.output.model*")
    for node in (s[0], t[0]):
        if node not in graph.graph:
            raise UnknownNameError(f'Pipeline "{pipeline}" has no node "{node}"')
    if t[1] not in ALLOWED_TARGETS.get(s[1], set()):
        raise PortMismatchError(f"{feeds_sentence(s[1])}, not {article(t[1])}")
    for edge in graph.edges:
        if (edge.source, edge.target) == (source, target):
            raise DuplicateEdgeError("These two ports are already connected")
        if t[1] == "parameter" and edge.target == target:
            raise DuplicateEdgeError(f'Parameter "{t[2]}" of node "{t[0]}" is already fed by {edge.source}')
    cycle = graph.would_cycle(s[0], t[0])
    if cycle:
        raise CycleError(cycle)


def _new_edge(edges: Any, source: str, target: str) -> Any:
    """A new edge in the style the pipeline already uses (flow ``[a, b]`` shorthand by default)."""
    if any(isinstance(e, dict) for e in edges) and not any(isinstance(e, list) for e in edges):
        return CommentedMap([("source", source), ("target", target)])
    edge = CommentedSeq([source, target])
    edge.fa.set_flow_style()
    return edge


def add_edge(doc: YamlDocument, pipeline: str, source: str, target: str) -> None:
    check_edge(doc.loaded, pipeline, source, target)

    def mutate(tree: Any) -> None:
        edges = as_list(find(tree, "pipeline", pipeline), "edges")
        edges.append(_new_edge(edges, source, target))

    doc.apply(mutate)


def _edges(tree: Any, pipeline: str, index: int) -> Any:
    edges = find(tree, "pipeline", pipeline).get("edges") or []
    if not 0 <= index < len(edges):
        raise UnknownNameError(f'Pipeline "{pipeline}" has no edge number {index}')
    return edges


def remove_edge(doc: YamlDocument, pipeline: str, index: int) -> None:
    def mutate(tree: Any) -> None:
        del _edges(tree, pipeline, index)[index]

    doc.apply(mutate)


def set_edge(doc: YamlDocument, pipeline: str, index: int, source: str, target: str) -> None:
    """Change an edge's ends (e.g. its output pattern), keeping its place and style."""

    def mutate(tree: Any) -> None:
        edge = _edges(tree, pipeline, index)[index]
        if isinstance(edge, list):
            if edge[0] != source:
                edge[0] = source
            if edge[1] != target:
                edge[1] = target
        else:
            for key, value in (("source", source), ("target", target)):
                if edge.get(key) != value:
                    edge[key] = value

    doc.apply(mutate)
