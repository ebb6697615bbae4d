"""The inspector's Override section: image, command, parameter/input/variable overrides next to
the step's defaults, the Advanced YAML; each edit one undo step restoring the exact text."""

from __future__ import annotations

import pytest
import yaml
from PySide6.QtCore import Qt

from tests.support.inspector import open_text, type_into
from tests.support.yaml_texts import node, parameter, pipeline, train_py

pytestmark = pytest.mark.gui

FILE = train_py(
    "parameters:\n"
    + parameter("epochs", "integer", 5)
    + parameter("optimizer", "string", "adam")
    + """\
inputs:
  - name: data
    default: s3://bucket/data.csv
environment-variables:
  - name: SEED
    default: "1"
"""
) + pipeline(
    "p",
    node(
        "train",
        body="""\
override:
  mounts:   # kept by the structured editor
    - source: /data
      destination: /mnt/data
""",
    ),
)


@pytest.fixture
def w(window, tmp_path):
    open_text(window, tmp_path, FILE)
    window.scene.select_node("train")
    return window


def override(w) -> dict:
    return yaml.safe_load(w.document.text)[1]["pipeline"]["nodes"][0].get("override", {})


def test_rows_show_step_defaults_and_cells_override_them(w, qtbot) -> None:
    form = w.inspector.override_form
    assert form.isVisible()
    table = form.params.table
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == ["epochs", "optimizer"]
    assert table.item(0, 1).text() == "5" and table.item(0, 2).text() == ""
    assert not (table.item(0, 1).flags() & Qt.ItemFlag.ItemIsEditable)
    before = w.document.text
    table.item(0, 2).setText("20")
    assert override(w)["parameters"] == [{"name": "epochs", "default": 20}]
    once = w.document.text
    form.params.table.item(0, 2).setText("many")  # refused inline: not a whole number
    assert "whole number" in form.params.error.text() and w.document.text == once
    form.inputs.table.item(0, 2).setText("s3://a.csv, s3://b.csv")
    assert override(w)["inputs"] == [{"name": "data", "default": ["s3://a.csv", "s3://b.csv"]}]
    assert form.inputs.table.item(0, 1).text() == "s3://bucket/data.csv"
    form.env.table.item(0, 2).setText("42")
    assert override(w)["environment-variables"] == [{"name": "SEED", "default": "42"}]
    # Clearing a cell removes the override: the step's default applies again.
    for table in (form.params, form.inputs, form.env):
        table.table.item(0, 2).setText("")
    assert set(override(w)) == {"mounts"}
    w.document.undo_stack.undo()
    assert override(w)["environment-variables"] == [{"name": "SEED", "default": "42"}]
    while w.document.undo_stack.canUndo():
        w.document.undo_stack.undo()
    assert w.document.text == before


def test_image_and_command(w, qtbot) -> None:
    form = w.inspector.override_form
    assert form.image.placeholderText() == "python:3.12"
    before = w.document.text
    type_into(qtbot, form.image, "python:3.13-slim")
    form.command.setFocus()
    form.command.setPlainText("python train.py --fast")
    form.command.commit()
    assert override(w)["image"] == "python:3.13-slim"
    assert override(w)["command"] == "python train.py --fast"
    assert "          mounts:   # kept by the structured editor\n" in w.document.text
    after = w.document.text
    w.document.undo_stack.undo()
    w.document.undo_stack.undo()
    assert w.document.text == before
    w.document.undo_stack.redo()
    w.document.undo_stack.redo()
    assert w.document.text == after


def test_advanced_yaml_and_variables(w, qtbot) -> None:
    form = w.inspector.override_form
    assert "mounts:" in form.advanced.toPlainText()
    form.advanced.setFocus()
    form.advanced.setPlainText("environment: gpu-large\n")
    form.advanced.commit()
    assert override(w) == {"environment": "gpu-large"}
    form.advanced.setPlainText("paramters: []\n")
    form.advanced.commit()
    assert "override key must be one of" in form.problem.text()
    qtbot.mouseClick(form.env.add_button, Qt.MouseButton.LeftButton)
    assert override(w)["environment-variables"] == [{"name": "VAR_1", "default": ""}]
    form.env.table.item(1, 0).setText("TOKEN")
    assert override(w)["environment-variables"] == [{"name": "TOKEN", "default": ""}]
    form.env.table.selectRow(1)
    qtbot.mouseClick(form.env.remove_button, Qt.MouseButton.LeftButton)
    assert "environment-variables" not in override(w)


def test_no_override_section_for_deployment_nodes_and_task_nodes_have_it(window, tmp_path) -> None:
    path = tmp_path / "valohai.yaml"
    deployment = "      - name: d\n        type: deployment\n        deployment: prod\n    edges: []\n"
    text = FILE.replace("        type: execution\n", "        type: task\n").replace(
        "    edges: []\n", deployment
    )
    path.write_text(text, encoding="utf-8")
    assert window.files.open_path(path, confirm=False)
    window.scene.select_node("train")
    assert window.inspector.override_form.isVisible() and window.inspector.sweep_form.isVisible()
    window.scene.select_node("d")
    assert not window.inspector.override_form.isVisible()
    assert window.inspector.deployment_form.isVisible()
