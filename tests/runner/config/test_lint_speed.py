"""valohai-yaml's lint with each pipeline's node map built once (runner.config.pipeline_index)
says exactly what its plain lint says: on every corpus file, and on large generated files with
broken edges and parameters (where the map is asked for thousands of times)."""

from __future__ import annotations

from pathlib import Path

import pytest
from valohai_yaml.lint import LintResult
from valohai_yaml.objs.pipelines.pipeline import Pipeline

from runner.config import ConfigLoadError, LoadedConfig, lint, load, load_text
from runner.config.pipeline_index import indexed_pipelines
from tests.support.paths import REPO as ROOT

CANDIDATES = [
    *ROOT.parent.glob("shared/corpus/*/*.yaml"),
    *ROOT.glob("tests/data/*.yaml"),
    *ROOT.glob("examples/**/*.yaml"),
]


def _loadable(path: Path) -> bool:
    try:
        return load(path).config is not None
    except ConfigLoadError:
        return False


FILES = sorted(p for p in CANDIDATES if _loadable(p))


def large_config(nodes: int, *, broken: bool) -> str:
    """``nodes`` steps and one pipeline over them, each node fed by the two before it; when
    ``broken``, some edges name missing nodes or bad types and a parameter targets a missing node."""
    lines: list[str] = []
    for i in range(nodes):
        lines += [
            "- step:",
            f"    name: s{i}",
            "    image: busybox",
            "    command: 'true'",
            "    parameters: [{name: rate, type: float, default: 0.1}]",
            "    inputs: [{name: data, optional: true}]",
        ]
    lines += ["- pipeline:", "    name: big", "    parameters:"]
    lines += ["      - name: rate", "        targets: [n1.parameters.rate, n2.parameters.rate]"]
    if broken:
        lines += ["      - name: lost", "        targets: [ghost.parameters.rate]"]
    lines.append("    nodes:")
    lines += [f"      - {{name: n{i}, type: execution, step: s{i}}}" for i in range(nodes)]
    lines.append("    edges:")
    for i in range(1, nodes):
        for k in (1, 2):
            if i - k >= 0:
                source = f"ghost{i}" if broken and i % 50 == 0 else f"n{i - k}"
                kind = "outptu" if broken and i % 70 == 0 else "output"
                lines.append(f"      - [{source}.{kind}.*.csv, n{i}.input.data]")
    return "\n".join(lines) + "\n"


def _messages(loaded: LoadedConfig, *, indexed: bool) -> list[tuple[str, str]]:
    config = loaded.config
    assert config is not None
    result = LintResult()
    if indexed:
        with indexed_pipelines(config):
            config.lint(result, context={})
    else:
        config.lint(result, context={})
    return [(str(m["type"]), str(m["message"])) for m in result.messages]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_same_messages_as_valohai_yaml_on_the_corpus(path: Path) -> None:
    loaded = load(path)
    assert _messages(loaded, indexed=True) == _messages(loaded, indexed=False)


@pytest.mark.parametrize("broken", [False, True])
def test_same_messages_on_a_large_file(broken: bool) -> None:
    loaded = load_text(large_config(300, broken=broken))
    indexed = _messages(loaded, indexed=True)
    assert indexed == _messages(loaded, indexed=False)
    missing = [m for m in indexed if "does not exist" in m[1] or "not valid" in m[1]]
    assert bool(missing) == broken


def test_corpus_is_present() -> None:
    assert len(FILES) >= 30


def test_pipelines_are_plain_again_after_the_lint() -> None:
    loaded = load_text(large_config(20, broken=True))
    pipelines = list(loaded.config.pipelines.values())
    before = [(vars(p).copy(), p.serialize()) for p in pipelines]
    lint(loaded)
    assert all(type(p) is Pipeline for p in pipelines)
    assert [(vars(p), p.serialize()) for p in pipelines] == before
    # A node added later is in the map: nothing of the lint's index is left behind.
    pipelines[0].nodes = pipelines[0].nodes[:1]
    assert list(pipelines[0].node_map) == ["n0"]


def test_our_lint_reports_the_broken_edges_of_a_large_file() -> None:
    diagnostics = lint(load_text(large_config(300, broken=True)))
    codes = {d.code for d in diagnostics}
    assert "edge-unknown-node" in codes, sorted(codes)
