"""The pipeline DAG and its automatic layout."""

from __future__ import annotations

import pytest

from runner.config import load_text
from runner.config.errors import UnknownNameError
from runner.dag import PipelineGraph
from runner.dag.layout import layered_layout

DIAMOND = """
- step: {name: s, image: busybox, command: "true", inputs: [{name: a}, {name: b}]}
- pipeline:
    name: p
    nodes:
      - {name: load, type: execution, step: s}
      - {name: left, type: execution, step: s}
      - {name: right, type: execution, step: s}
      - {name: join, type: execution, step: s}
    edges:
      - [load.output.*.csv, left.input.a]
      - [load.output.*.csv, right.input.a]
      - [left.output.model*, join.input.a]
      - {source: right.output.model*, target: join.input.b}
"""


@pytest.fixture
def graph() -> PipelineGraph:
    return PipelineGraph.build(load_text(DIAMOND).config, "p")


def test_topological_order_keeps_yaml_order_for_ties(graph: PipelineGraph) -> None:
    assert graph.topological_order() == ["load", "left", "right", "join"]
    assert graph.generations() == [["load"], ["left", "right"], ["join"]]


def test_ancestors_and_descendants(graph: PipelineGraph) -> None:
    assert graph.ancestors("join") == {"load", "left", "right"}
    assert graph.descendants("left") == {"join"}
    assert graph.descendants("join") == set()
    with pytest.raises(UnknownNameError):
        graph.ancestors("nope")


def test_edges_are_resolved(graph: PipelineGraph) -> None:
    last = graph.edges[3]
    assert (last.source_node, last.source_type, last.source_key) == ("right", "output", "model*")
    assert (last.target_node, last.target_type, last.target_key) == ("join", "input", "b")
    assert [e.index for e in graph.incoming("join")] == [2, 3]
    assert graph.outgoing("load")[0].source == "load.output.*.csv"


def test_would_cycle(graph: PipelineGraph) -> None:
    assert graph.would_cycle("join", "load") == ["join", "load", "left", "join"]
    assert graph.would_cycle("left", "right") is None
    assert graph.would_cycle("left", "left") == ["left", "left"]


def test_unknown_pipeline() -> None:
    with pytest.raises(UnknownNameError, match='No pipeline named "x"'):
        PipelineGraph.build(load_text(DIAMOND).config, "x")


def test_layered_layout_goes_left_to_right(graph: PipelineGraph) -> None:
    pos = layered_layout(graph)
    assert pos["load"][0] < pos["left"][0] == pos["right"][0] < pos["join"][0]
    assert pos["left"][1] != pos["right"][1]
    assert len(set(pos.values())) == 4


def test_layout_survives_a_cycle() -> None:
    text = DIAMOND.replace("[load.output.*.csv, left.input.a]", "[join.output.x, load.input.a]")
    graph = PipelineGraph.build(load_text(text).config, "p")
    assert graph.find_cycle() is not None
    assert len(set(layered_layout(graph).values())) == 4
