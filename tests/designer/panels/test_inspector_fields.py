"""Inspector fields write through the model: command list, resources, env vars, edges, clipboard."""

from __future__ import annotations

import pytest
import yaml
from PySide6.QtCore import Qt

from tests.support.inspector import choose
from tests.support.yaml_texts import node, pipeline, step

pytestmark = pytest.mark.gui

FILE = (
    step("prep")
    + step(
        "train",
        command=None,
        body="command:\n  - pip install -r requirements.txt\n  - python train.py\ninputs:\n  - name: data\n",
    )
    + pipeline("p", node("prep"), node("train"), edges=["[prep.output.*, train.input.data]"])
)


@pytest.fixture
def opened(window, tmp_path):
    path = tmp_path / "valohai.yaml"
    path.write_text(FILE, encoding="utf-8")
    assert window.files.open_path(path, confirm=False)
    return window


def _step(w, name: str) -> dict:
    data = yaml.safe_load(w.document.text)
    return next(item["step"] for item in data if "step" in item and item["step"]["name"] == name)


def test_command_lines_become_a_list_and_a_string_stays_a_string(opened, qtbot) -> None:
    w = opened
    w.scene.select_node("train")
    form = w.inspector.step_form
    form.command.setFocus()
    form.command.setPlainText("pip install -r requirements.txt\npython train.py --epochs 3\n")
    form.command.commit()
    assert _step(w, "train")["command"] == ["pip install -r requirements.txt", "python train.py --epochs 3"]
    w.scene.select_node("prep")
    form.command.setPlainText("date -u")
    form.command.commit()
    assert "    command: date -u\n" in w.document.text


def test_resources_yaml_is_validated_inline(opened) -> None:
    w = opened
    w.scene.select_node("train")
    form = w.inspector.step_form
    before = w.document.text
    form.resources.setPlainText("cpu: [unclosed")
    assert "not valid YAML" in form.resources.problem
    form.resources.commit()
    assert w.document.text == before
    form.resources.setPlainText("cpu:\n  min: 2\n")
    form.resources.commit()
    assert _step(w, "train")["resources"] == {"cpu": {"min": 2}}


def test_time_limit_is_validated(opened, qtbot) -> None:
    w = opened
    w.scene.select_node("train")
    field = w.inspector.step_form.time_limit
    field.setFocus()
    qtbot.keyClicks(field, "soon")
    assert "duration" in field.problem
    field.selectAll()
    qtbot.keyClicks(field, "1h30m")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert _step(w, "train")["time-limit"] == "1h30m"


def test_environment_variables_add_and_edit(opened) -> None:
    w = opened
    w.scene.select_node("train")
    env = w.inspector.step_form.env
    env.add_requested.emit()
    assert _step(w, "train")["environment-variables"] == [{"name": "VAR_1", "default": ""}]
    env.table.item(0, 1).setText("42")
    assert _step(w, "train")["environment-variables"][0]["default"] == "42"


def test_edge_source_pattern_is_edited_in_the_inspector(opened, qtbot) -> None:
    w = opened
    w.scene.select_edge(0)
    field = w.inspector.edge_form.source
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, "prep.output")
    assert "node.type.key" in field.problem
    qtbot.keyClicks(field, ".*.csv")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert "- [prep.output.*.csv, train.input.data]" in w.document.text


def test_copy_paste_nodes(opened, qtbot) -> None:
    w = opened
    w.scene.select_node("prep")
    w.view.setFocus()
    qtbot.keyClick(w.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(w.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert "prep-2" in w.scene.node_items
    node = w.document.config.pipelines["p"].nodes[-1]
    assert (node.name, node.step) == ("prep-2", "prep")
    w.document.undo_stack.undo()
    assert "prep-2" not in w.scene.node_items


def test_on_error_and_edge_merge_mode_are_picked_and_undone(opened) -> None:
    w = opened
    before = w.document.text
    w.scene.select_node("train")
    form = w.inspector.node_form
    choose(form.on_error, "continue")
    choose(form.merge_mode, "append")
    node = yaml.safe_load(w.document.text)[2]["pipeline"]["nodes"][1]
    assert node["on-error"] == "continue" and node["edge-merge-mode"] == "append"
    choose(form.merge_mode, "(default: replace)")  # the default removes the key again
    assert "edge-merge-mode" not in yaml.safe_load(w.document.text)[2]["pipeline"]["nodes"][1]
    for _ in range(3):
        w.document.undo_stack.undo()
    assert w.document.text == before
