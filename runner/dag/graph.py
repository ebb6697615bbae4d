"""A pipeline as a networkx DiGraph: order, ancestry and resolved edges."""

from __future__ import annotations

from typing import Any

import networkx as nx

from runner.config.errors import UnknownNameError
from runner.config.sockets import ResolvedEdge, resolve_edges


class PipelineGraph:
    """Nodes of one pipeline and the edges between them. Edges to unknown nodes are kept in
    ``edges`` (lint reports them) but not in ``graph``."""

    def __init__(self, name: str, graph: nx.DiGraph, edges: list[ResolvedEdge]) -> None:
        self.name = name
        self.graph = graph
        self.edges = edges

    @classmethod
    def build(cls, config: Any, pipeline_name: str) -> PipelineGraph:
        try:
            pipeline = config.pipelines[pipeline_name]
        except KeyError:
            known = ", ".join(sorted(config.pipelines)) or "none"
            raise UnknownNameError(f'No pipeline named "{pipeline_name}" (pipelines: {known})') from None
        return cls.from_pipeline(pipeline)

    @classmethod
    def from_pipeline(cls, pipeline: Any) -> PipelineGraph:
        nodes = [(node.name, node.type, node) for node in pipeline.nodes]
        edges = resolve_edges(pipeline)
        return cls.assemble(pipeline.name, nodes, edges)

    @classmethod
    def assemble(
        cls, name: str, nodes: list[tuple[str, str, Any]], edges: list[ResolvedEdge]
    ) -> PipelineGraph:
        """Build from (name, type, node object) triples; the first node of a duplicated name wins."""
        graph = nx.DiGraph()
        for node_name, node_type, node in nodes:
            if node_name not in graph:
                graph.add_node(node_name, node=node, type=node_type)
        for edge in edges:
            if edge.source_node in graph and edge.target_node in graph:
                if graph.has_edge(edge.source_node, edge.target_node):
                    graph.edges[edge.source_node, edge.target_node]["edges"].append(edge)
                else:
                    graph.add_edge(edge.source_node, edge.target_node, edges=[edge])
        return cls(name, graph, edges)

    @property
    def node_names(self) -> list[str]:
        return list(self.graph.nodes)

    def node(self, name: str) -> Any:
        """The valohai-yaml node object."""
        self._require(name)
        return self.graph.nodes[name]["node"]

    def topological_order(self) -> list[str]:
        """Nodes with every node after its sources; ties keep the YAML order. Raises on cycles."""
        order = {name: i for i, name in enumerate(self.graph.nodes)}
        return list(nx.lexicographical_topological_sort(self.graph, key=order.__getitem__))

    def generations(self) -> list[list[str]]:
        return [sorted(g, key=self.node_names.index) for g in nx.topological_generations(self.graph)]

    def ancestors(self, name: str) -> set[str]:
        self._require(name)
        return set(nx.ancestors(self.graph, name))

    def descendants(self, name: str) -> set[str]:
        self._require(name)
        return set(nx.descendants(self.graph, name))

    def incoming(self, name: str) -> list[ResolvedEdge]:
        return [e for e in self.edges if e.target_node == name]

    def outgoing(self, name: str) -> list[ResolvedEdge]:
        return [e for e in self.edges if e.source_node == name]

    def find_cycle(self) -> list[str] | None:
        """A cycle as a path with the first node repeated at the end, or None."""
        try:
            cycle = nx.find_cycle(self.graph)
        except nx.NetworkXNoCycle:
            return None
        path = [u for u, _v in cycle]
        return [*path, path[0]]

    def would_cycle(self, source: str, target: str) -> list[str] | None:
        """The cycle an edge source → target would close, or None."""
        if source == target:
            return [source, source]
        if source in self.graph and target in self.graph and nx.has_path(self.graph, target, source):
            return [source, *nx.shortest_path(self.graph, target, source)]
        return None

    def _require(self, name: str) -> None:
        if name not in self.graph:
            raise UnknownNameError(f'Pipeline "{self.name}" has no node "{name}"')
