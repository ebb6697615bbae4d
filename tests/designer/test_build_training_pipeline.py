"""Build the seed article's Training Pipeline from an empty file with the real widgets."""

from __future__ import annotations

from pathlib import Path

import pytest
import valohai_yaml
from PySide6.QtCore import Qt

from designer.document.model_api import edits
from tests.support.widgets import drag_edge, drop_step

pytestmark = pytest.mark.gui

EXPECTED = """
- step:
    name: preprocess-dataset
    image: python:3.12
    command: python preprocess.py
- step:
    name: train-model
    image: python:3.12
    command: python train.py {parameters}
    inputs:
      - name: training-set-images
      - name: training-set-labels
      - name: test-set-images
      - name: test-set-labels
- pipeline:
    name: Training Pipeline
    nodes:
      - name: preprocess
        type: execution
        step: preprocess-dataset
      - name: train
        type: execution
        step: train-model
    edges:
      - [preprocess.output.*train-images*, train.input.training-set-images]
      - [preprocess.output.*train-labels*, train.input.training-set-labels]
      - [preprocess.output.*test-images*, train.input.test-set-images]
      - [preprocess.output.*test-labels*, train.input.test-set-labels]
"""
INPUTS = ["training-set-images", "training-set-labels", "test-set-images", "test-set-labels"]
PATTERNS = ["*train-images*", "*train-labels*", "*test-images*", "*test-labels*"]


def _type_into(qtbot, field, text: str) -> None:
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def build(window, qtbot) -> None:
    editor = window.editor
    assert editor.add_step("preprocess-dataset", "python:3.12", "python preprocess.py") is None
    assert editor.add_step("train-model", "python:3.12", "python train.py {parameters}") is None
    for name in INPUTS:
        assert editor.edit(f"Add input {name}", edits.add_input, "train-model", {"name": name}) is None
    assert editor.add_pipeline("Training Pipeline") is None
    drop_step(window, "preprocess-dataset", (0, 0))
    drop_step(window, "train-model", (420, 0))
    assert set(window.scene.node_items) == {"preprocess-dataset", "train-model"}
    # rename the nodes in the inspector, as a user would
    for old, new in (("preprocess-dataset", "preprocess"), ("train-model", "train")):
        window.scene.select_node(old)
        _type_into(qtbot, window.inspector.node_form.name, new)
        assert new in window.scene.node_items
    for name, pattern in zip(INPUTS, PATTERNS, strict=True):
        drag_edge(window, "preprocess.output.*", f"train.input.{name}")
        edge = window.document.view("Training Pipeline").edges[-1]
        assert edge.target == f"train.input.{name}"
        window.scene.select_edge(edge.index)
        _type_into(qtbot, window.inspector.edge_form.source, f"preprocess.output.{pattern}")


def test_build_save_and_compare(window, qtbot, tmp_path: Path) -> None:
    window.files.new()
    build(window, qtbot)
    assert len(window.scene.edge_items) == 4
    target = tmp_path / "valohai.yaml"
    assert window.files._save_to(target)
    saved = valohai_yaml.parse(target.read_text(encoding="utf-8"))
    expected = valohai_yaml.parse(EXPECTED)
    assert saved.serialize() == expected.serialize()
    assert not window.document.modified
    # the layout sidecar holds the positions, not the YAML
    assert (tmp_path / ".valohai.designer.json").is_file()
    assert "preprocess" in (tmp_path / ".valohai.designer.json").read_text()


def test_undo_everything_then_redo(window, qtbot) -> None:
    window.files.new()
    build(window, qtbot)
    final_text = window.document.text
    stack = window.document.undo_stack
    steps = stack.count()
    assert steps >= 12
    while stack.canUndo():
        stack.undo()
    assert window.document.text == ""
    assert window.scene.node_items == {} and window.scene.edge_items == {}
    while stack.canRedo():
        stack.redo()
    assert window.document.text == final_text
    assert set(window.scene.node_items) == {"preprocess", "train"}
    assert len(window.scene.edge_items) == 4
