"""runner.config.query: the look-ups every part of the program shares, on good and broken files."""

from __future__ import annotations

import pytest

from runner.config import load_text, query
from runner.config.document import YamlDocument

TEXT = """\
- step: {name: prep, image: busybox, command: echo, parameters: [{name: a}, {name: b}]}
- step: {name: prep, image: other, command: echo}
- task: {name: sweep, step: prep, type: grid_search, parameters: []}
- blueprint:
    name: bp
    nodes: []
    edges: []
- pipeline:
    name: p
    nodes:
      - {name: first, type: execution, step: prep}
      - not a node
      - {name: swept, type: task, task: sweep}
      - {name: ghost, type: task, task: missing}
      - {name: deploy, type: deployment, deployment: d, step: prep}
    edges:
      - [first.output.x, swept.input.y]
      - {source: first.parameter.a, target: swept.parameter.a}
      - 42
"""

VALID = """\
- step: {name: prep, image: busybox, command: echo}
- pipeline:
    name: p
    nodes:
      - {name: first, type: execution, step: prep}
      - {name: second, type: execution, step: prep}
    edges:
      - [first.output.x, second.input.y]
"""


@pytest.fixture
def data() -> list:
    return load_text(TEXT).data


def test_top_level_items_and_their_paths(data: list) -> None:
    assert [i for i, _b in query.items(data, "step")] == [0, 1]
    assert [b["name"] for _i, b in query.items(data, "pipeline")] == ["bp", "p"]  # blueprints count
    assert query.item_body(data, "step", "prep")["image"] == "busybox"  # the first of a repeated name
    assert query.index(data, "step")["prep"]["image"] == "busybox"
    assert query.item_path(data, "pipeline", "bp") == (3, "blueprint")
    assert query.item_path(data, "pipeline", "p") == (4, "pipeline")
    assert query.item_path(data, "step", "nope") == ()
    assert query.item_body(data, "endpoint", "x") is None


def test_nodes_and_the_steps_they_run(data: list) -> None:
    pipeline = query.item_body(data, "pipeline", "p")
    assert [i for i, _n in query.nodes(pipeline)] == [0, 2, 3, 4]  # the string is skipped
    assert query.node_path(data, "p", "swept") == (4, "pipeline", "nodes", 2)
    assert query.node_path(data, "p", "nope") == () and query.node_path(data, "nope", "first") == ()
    first, swept, ghost, deploy = (
        query.node_body(data, "p", n) for n in ("first", "swept", "ghost", "deploy")
    )
    assert query.node_step_name(data, first) == "prep"
    assert query.node_step_name(data, swept) == "prep"  # through the task blueprint
    assert query.node_step(data, swept) is query.item_body(data, "step", "prep")
    assert query.node_step(data, ghost) is None  # an unknown blueprint
    assert query.node_step(data, deploy) is None  # a deployment node runs no step
    steps, tasks = query.index(data, "step"), query.index(data, "task")
    assert query.node_step(data, swept, steps=steps, tasks=tasks) is steps["prep"]


def test_named_lists(data: list) -> None:
    step = query.item_body(data, "step", "prep")
    assert query.names(step["parameters"]) == ["a", "b"]
    assert query.named(step["parameters"], "b") == {"name": "b"}
    assert query.named_index(step["parameters"], "b") == 1
    assert query.named(step.get("inputs"), "a") is None
    nodes = query.item_body(data, "pipeline", "p")["nodes"]
    assert [n["name"] for n in query.mappings(nodes)] == ["first", "swept", "ghost", "deploy"]  # no string
    assert query.mappings(step.get("inputs")) == [] and query.mappings({"name": "a"}) == []


def test_edges_in_both_forms(data: list) -> None:
    edges = query.edges(query.item_body(data, "pipeline", "p"))
    assert [query.edge_sockets(e) for e in edges] == [
        ("first.output.x", "swept.input.y"),
        ("first.parameter.a", "swept.parameter.a"),
        (None, None),
    ]
    assert query.socket_node("first.output.x") == "first" and query.socket_node(3) is None


@pytest.mark.parametrize(
    "text",
    ["", "3", "- 1\n- [a]\n", "- pipeline: 4\n", "- pipeline: {name: p, nodes: {a: 1}, edges: 5}\n"],
)
def test_malformed_files_give_empty_answers_never_an_exception(text: str) -> None:
    data = load_text(text).data
    assert list(query.items(data, "pipeline")) in ([], [(0, {"name": "p", "nodes": {"a": 1}, "edges": 5})])
    pipeline = query.item_body(data, "pipeline", "p")
    assert list(query.nodes(pipeline)) == [] and query.edges(pipeline) == []
    assert query.node_body(data, "p", "a") is None and query.node_path(data, "p", "a") == ()


def test_an_edit_parses_only_what_it_changed_and_shares_that_view(monkeypatch: pytest.MonkeyPatch) -> None:
    import runner.config.document as document
    import runner.config.loader as loader
    from runner.config import edits

    doc = YamlDocument.from_text(VALID)
    calls: list[str] = []
    real = loader.load_text
    counting = lambda text, path=None: calls.append(text) or real(text, path)  # noqa: E731
    monkeypatch.setattr(document, "load_text", counting)
    monkeypatch.setattr(loader, "load_text", counting)
    edits.rename_node(doc, "p", "first", "start")
    assert calls == [] and doc.last_edit_fallback is None  # patched and checked region by region
    assert doc.loaded.locate((1, "pipeline", "nodes", 0, "name")).line == 5  # positions when asked
    assert calls == [doc.text]
    assert doc.config is doc.loaded.config and "p" in doc.config.pipelines
    assert query.node_path(doc.loaded.data, "p", "start") == (1, "pipeline", "nodes", 0)
