"""The headless CLI: exit codes, stable JSON, and no Qt import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO

GOOD = """\
- step: {name: s, image: busybox, command: "true", inputs: [{name: i}]}
- pipeline:
    name: p
    nodes:
      - {name: a, type: execution, step: s}
      - {name: b, type: execution, step: s}
    edges:
      - [a.output.*.csv, b.input.i]
"""


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "designer.cli", *args], capture_output=True, text=True, cwd=REPO, timeout=60
    )


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "valohai.yaml"
    path.write_text(GOOD)
    return path


def test_lint_ok_exit_0(good: Path) -> None:
    result = cli("lint", str(good))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no problems found" in result.stdout


def test_lint_folder_finds_valohai_yaml(good: Path) -> None:
    assert cli("lint", str(good.parent)).returncode == 0


def test_lint_errors_exit_1_with_positions(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace("b.input.i", "ghost.input.i"))
    result = cli("lint", str(path))
    assert result.returncode == 1
    assert f"{path}:8:26: error:" in result.stdout  # the "ghost.input.i" string


def test_lint_json_is_stable(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(GOOD.replace("b.input.i", "ghost.input.i"))
    data = json.loads(cli("lint", str(path), "--format", "json").stdout)
    assert set(data) == {"format_version", "file", "valid", "counts", "messages"}
    assert data["format_version"] == 1 and data["valid"] is False
    assert data["counts"]["error"] >= 1
    first = next(m for m in data["messages"] if m["severity"] == "error")
    assert set(first) == {"severity", "message", "hint", "file", "line", "column", "path", "code", "source"}
    assert (first["code"], first["line"], first["column"]) == ("edge-unknown-node", 8, 26)
    assert first["path"] == [1, "pipeline", "edges", 0, 1]


@pytest.mark.parametrize(
    ("content", "code"),
    [(None, 2), (b"\x00\x01binary", 2), (b"- step: [oops\n", 1)],
)
def test_lint_unreadable_exit_2_and_syntax_exit_1(tmp_path: Path, content: bytes | None, code: int) -> None:
    path = tmp_path / "valohai.yaml"
    if content is not None:
        path.write_bytes(content)
    result = cli("lint", str(path))
    assert result.returncode == code
    assert str(path) in result.stderr


def test_graph_formats(good: Path) -> None:
    text = cli("graph", str(good), "--pipeline", "p")
    assert text.returncode == 0 and "order: a → b" in text.stdout
    assert 'pipeline "p": 2 nodes, 1 edge\n' in text.stdout  # not "1 edges"
    dot = cli("graph", str(good), "--format", "dot").stdout
    assert dot.startswith('digraph "p"') and '"a" -> "b"' in dot
    data = json.loads(cli("graph", str(good), "--format", "json").stdout)
    assert data["order"] == ["a", "b"]
    assert data["nodes"][1]["ancestors"] == ["a"]
    assert data["edges"][0]["source"] == {"node": "a", "type": "output", "key": "*.csv"}


def test_graph_reports_cycles_and_unknown_pipelines(tmp_path: Path) -> None:
    path = tmp_path / "valohai.yaml"
    path.write_text(GOOD + "      - [b.output.x, a.input.i]\n")
    result = cli("graph", str(path))
    assert result.returncode == 1 and "a → b → a" in result.stderr
    assert "pipelines: p" in cli("graph", str(path), "--pipeline", "nope").stderr


@pytest.mark.parametrize("command", ["lint", "graph"])
def test_headless_commands_do_not_import_qt(good: Path, command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "designer.cli", command, str(good)],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0
    imported = [line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line]
    assert imported, "importtime printed nothing"
    assert not [
        m for m in imported if m.startswith(("PySide6", "shiboken6", "pyqtgraph", "docker", "paramiko"))
    ]


def test_runner_never_imports_designer_or_qt() -> None:
    code = (
        "import sys, importlib, pkgutil, runner\n"
        "sys.modules['PySide6'] = None\n"
        "for m in pkgutil.walk_packages(runner.__path__, 'runner.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [n for n, m in sys.modules.items() if m and n.startswith(('designer', 'PySide6'))]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_version_and_help() -> None:
    assert cli("--version").stdout.startswith("pipeline-designer ")
    assert "lint" in cli("--help").stdout


def test_a_one_node_run_says_1_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`run` and `watch` count their nodes in words: "1 node", not "1 node(s)"."""
    monkeypatch.setenv("PIPELINE_DESIGNER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PIPELINE_DESIGNER_CONFIG", str(tmp_path / "config"))
    path = tmp_path / "valohai.yaml"
    path.write_text(
        '- step: {name: s, image: busybox, command: "true"}\n'
        "- pipeline: {name: p, nodes: [{name: a, type: execution, step: s}], edges: []}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "designer.cli", "run", str(path), "--pipeline", "p", "--backend", "local"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("run ") and done.stdout.splitlines()[0].endswith(": 1 node")
    watch = ["watch", str(path), "--pipeline", "p", "--every", "1h", "--once-at-start", "--max-runs", "1"]
    done = subprocess.run(
        [sys.executable, "-m", "designer.cli", *watch, "--backend", "local"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert ": succeeded (1 node, " in done.stdout, done.stdout
