"""Opening a file shows its pipelines' nodes, ports and edges (scene = projection of the document)."""

from __future__ import annotations

from pathlib import Path

import pytest

from designer.canvas.edge_item import EdgeItem
from designer.canvas.node_item import NodeItem
from designer.document.graph_model import describe_pipeline

pytestmark = pytest.mark.gui


def test_open_shows_nodes_edges_and_pipeline_selector(window, example_yaml: Path) -> None:
    assert window.files.open_path(example_yaml, confirm=False)
    names = [window.pipeline_bar.combo.itemText(i) for i in range(window.pipeline_bar.combo.count())]
    assert names == window.document.pipeline_names()
    assert names[0] == "My little pipeline" and len(names) == 4
    assert set(window.scene.node_items) == {"batch1", "batch2", "train"}
    assert len(window.scene.edge_items) == 6
    train = window.scene.node_items["train"]
    assert train.node.step == "Train model" and train.node.image == "busybox"
    assert train.port_item("in", "input", "training-images") is not None
    assert train.port_item("out", "output", "*") is not None
    # left to right: every edge goes from a node further left
    for edge in window.scene.edge_items.values():
        src = window.scene.node_items[edge.edge.source_node]
        dst = window.scene.node_items[edge.edge.target_node]
        assert src.x() < dst.x()


def test_pipeline_selector_switches_the_canvas(window, example_yaml: Path) -> None:
    window.files.open_path(example_yaml, confirm=False)
    window.pipeline_bar.combo.setCurrentText("My deployment pipeline")
    assert window.current_pipeline == "My deployment pipeline"
    assert set(window.scene.node_items) == {"batch1", "train", "deploy-predictor", "deploy-no-presets"}
    deploy = window.scene.node_items["deploy-predictor"]
    assert deploy.node.type == "deployment"
    assert deploy.port_item("in", "file", "predict-digit.model") is not None
    kinds = {type(i) for i in window.scene.items()}
    assert NodeItem in kinds and EdgeItem in kinds


def test_rebuilding_the_scene_gives_the_same_picture(window, example_yaml: Path) -> None:
    window.files.open_path(example_yaml, confirm=False)
    window.show_pipeline("My medium pipeline")
    before = {n: (i.pos().x(), i.pos().y(), i.node) for n, i in window.scene.node_items.items()}
    edges_before = set(window.scene.edge_items)
    window.scene.clear_all()
    window._refresh_scene()
    after = {n: (i.pos().x(), i.pos().y(), i.node) for n, i in window.scene.node_items.items()}
    assert after == before
    assert set(window.scene.edge_items) == edges_before


def test_graph_model_marks_undeclared_ports(example_yaml: Path) -> None:
    from runner.config import load

    view = describe_pipeline(load(example_yaml).config, "My little pipeline")
    batch2 = view.nodes["batch2"]
    aspect = batch2.port("in", "parameter", "aspect-ratio")
    assert aspect is not None and not aspect.declared  # the step has no such parameter
    assert batch2.port("in", "input", "training-images").declared


def test_graph_model_gives_a_blueprint_task_node_its_steps_ports() -> None:
    from runner.config import load_text

    text = (
        "- step:\n    name: train\n    image: busybox\n    command: date\n"
        "    parameters:\n      - {name: lr, type: float, default: 0.1}\n"
        "    inputs:\n      - {name: data}\n"
        "- task:\n    name: sweep\n    step: train\n"
        "    parameters:\n      - {name: lr, style: multiple, rules: {items: [0.1, 0.2]}}\n"
        "- pipeline:\n    name: p\n    nodes:\n      - {name: t, type: task, task: sweep}\n"
        "    edges: []\n"
    )
    node = describe_pipeline(load_text(text).config, "p").nodes["t"]
    assert node.step == "train" and node.image == "busybox" and not node.missing_step
    assert node.blueprint == "sweep" and node.endpoints == ()  # what the Inspector's forms read too
    assert node.port("in", "input", "data").declared
    assert node.port("in", "parameter", "lr").declared


def test_problems_dock_lists_lint_and_selects_the_node(window, tmp_path: Path, qtbot) -> None:
    bad = tmp_path / "valohai.yaml"
    bad.write_text(
        "- step:\n    name: a\n    image: busybox\n    command: date\n"
        "- pipeline:\n    name: p\n    nodes:\n      - name: n1\n        type: execution\n"
        "        step: missing-step\n    edges: []\n",
        encoding="utf-8",
    )
    window.files.open_path(bad, confirm=False)
    qtbot.waitUntil(
        lambda: any("missing-step" in d.message for d in window.problems.diagnostics), timeout=2000
    )
    errors = [d for d in window.problems.diagnostics if d.severity == "error"]
    assert errors and any("missing-step" in d.message for d in errors)
    assert window.scene.node_items["n1"].node.missing_step  # drawn as missing
    window.reveal_diagnostic(next(d for d in errors if "missing-step" in d.message))
    assert window.scene.selected_node_names() == ["n1"]
    line = window.yaml_panel.editor.textCursor().blockNumber() + 1
    assert line == next(d for d in errors if "missing-step" in d.message).line


def test_run_gui_exits_cleanly(tmp_path: Path, example_yaml: Path) -> None:
    """The real entry point, in a fresh interpreter: opens the file, quits, exit code 0
    (docs/architecture.md "Shutdown")."""
    import os
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from designer.app import create_app, run_gui\n"
        "app = create_app()\n"
        "QTimer.singleShot(800, app.quit)\n"
        f"sys.exit(run_gui({str(example_yaml)!r}))\n"
    )
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "cfg"),
        PIPELINE_DESIGNER_RECOVERY_DIR=str(tmp_path / "rec"),
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
