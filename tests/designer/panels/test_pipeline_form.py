"""The Pipeline section (nothing selected): pipeline parameters with their targets picked from
the nodes' parameters, reuse-executions, adding a deployment node; all undoable."""

from __future__ import annotations

import pytest
import yaml
from PySide6.QtCore import QPointF, Qt

from tests.support.inspector import choose, open_text
from tests.support.yaml_texts import node, parameter, pipeline, train_py

pytestmark = pytest.mark.gui

FILE = (
    train_py("parameters:\n" + parameter("lr", "float", 0.01) + parameter("epochs", "integer", 5))
    + """\
- endpoint:
    name: predict
    image: python:3.12
    server-command: python serve.py
"""
    + pipeline(
        "p",
        node("a", "train"),
        node("b", "train"),
        head="""\
parameters:
  - name: rate
    target: a.parameter.lr   # one target, single form
    default: 0.1
""",
    )
)


@pytest.fixture
def w(window, tmp_path):
    open_text(window, tmp_path, FILE)
    window.scene.clearSelection()
    return window


def pipeline(w) -> dict:
    return next(i["pipeline"] for i in yaml.safe_load(w.document.text) if "pipeline" in i)


def target_item(form, ref: str):
    for i in range(form.targets.count()):
        if form.targets.item(i).text() == ref:
            return form.targets.item(i)
    raise AssertionError(f"{ref} not offered")


def test_shown_when_nothing_is_selected_and_via_the_pipeline_button(w, qtbot) -> None:
    form = w.inspector.pipeline_form
    assert form.isVisible() and form.title() == "Pipeline — p"
    w.scene.select_node("a")
    assert not form.isVisible() and w.inspector.pipeline_button.isVisible()
    qtbot.mouseClick(w.inspector.pipeline_button, Qt.MouseButton.LeftButton)
    assert form.isVisible() and not w.inspector.node_form.isVisible()


def test_targets_multi_select_keeps_the_single_form_until_edited(w, qtbot) -> None:
    form = w.inspector.pipeline_form
    assert form.table.table.item(0, 2).text() == "a.parameter.lr"
    offered = [form.targets.item(i).text() for i in range(form.targets.count())]
    assert offered == ["a.parameter.lr", "a.parameter.epochs", "b.parameter.lr", "b.parameter.epochs"]
    assert target_item(form, "a.parameter.lr").checkState() == Qt.CheckState.Checked
    before = w.document.text
    form.table.table.item(0, 1).setText("0.5")  # the default only: one line changes
    assert w.document.text == before.replace("        default: 0.1\n", "        default: 0.5\n")
    target_item(form, "b.parameter.lr").setCheckState(Qt.CheckState.Checked)
    assert pipeline(w)["parameters"][0]["targets"] == ["a.parameter.lr", "b.parameter.lr"]
    assert "target:" not in w.document.text
    target_item(form, "a.parameter.lr").setCheckState(Qt.CheckState.Unchecked)
    assert pipeline(w)["parameters"][0]["targets"] == ["b.parameter.lr"]
    while w.document.undo_stack.canUndo():
        w.document.undo_stack.undo()
    assert w.document.text == before


def test_add_rename_describe_remove_parameters(w, qtbot) -> None:
    form = w.inspector.pipeline_form
    qtbot.mouseClick(form.table.add_button, Qt.MouseButton.LeftButton)
    assert pipeline(w)["parameters"][1] == {"name": "param-1"}
    assert form.selected == "param-1" and form.targets_title.text() == "Targets of “param-1”:"
    form.table.table.item(1, 0).setText("epochs")
    form.table.table.item(1, 1).setText("3")
    form.table.table.item(1, 3).setText("Passes over the data")
    target_item(form, "a.parameter.epochs").setCheckState(Qt.CheckState.Checked)
    target_item(form, "b.parameter.epochs").setCheckState(Qt.CheckState.Checked)
    assert pipeline(w)["parameters"][1] == {
        "name": "epochs",
        "targets": ["a.parameter.epochs", "b.parameter.epochs"],
        "default": 3,
        "description": "Passes over the data",
    }
    form.table.table.item(1, 0).setText("rate")
    assert "already has a parameter named" in form.problem.text()
    form.table.table.selectRow(1)
    qtbot.mouseClick(form.table.remove_button, Qt.MouseButton.LeftButton)
    assert [p["name"] for p in pipeline(w)["parameters"]] == ["rate"]


def test_reuse_executions_and_add_deployment_node(w, qtbot) -> None:
    form = w.inspector.pipeline_form
    before = w.document.text
    qtbot.mouseClick(form.reuse, Qt.MouseButton.LeftButton)
    assert pipeline(w)["reuse-executions"] is True
    qtbot.mouseClick(form.add_deployment, Qt.MouseButton.LeftButton)
    assert pipeline(w)["nodes"][2] == {
        "name": "deploy",
        "type": "deployment",
        "deployment": "deployment",
        "endpoints": ["predict"],
    }
    assert "deploy" in w.scene.node_items
    assert w.scene.selected_node_names() == ["deploy"] and w.inspector.deployment_form.isVisible()
    w.document.undo_stack.undo()
    w.document.undo_stack.undo()
    assert w.document.text == before


def test_a_sweep_nodes_parameters_are_targets_too(w, qtbot) -> None:
    w.scene.select_node("b")
    choose(w.inspector.node_form.type, "task")
    qtbot.mouseClick(w.inspector.sweep_form.create, Qt.MouseButton.LeftButton)
    assert "        task: b\n" in w.document.text
    w.scene.clearSelection()
    form = w.inspector.pipeline_form
    target_item(form, "b.parameter.epochs").setCheckState(Qt.CheckState.Checked)
    assert pipeline(w)["parameters"][0]["targets"] == ["a.parameter.lr", "b.parameter.epochs"]


def test_canvas_menu_adds_a_deployment_node_where_asked(w) -> None:
    menu = w.scene.background_menu(QPointF(903, 598))
    assert menu is not None and [a.text() for a in menu.actions()] == ["Add deployment node here"]
    before = w.document.text
    menu.actions()[0].trigger()
    assert pipeline(w)["nodes"][2]["type"] == "deployment"
    assert w.document.positions("p")["deploy"] == (900, 600)  # snapped to the grid
    assert w.scene.node_items["deploy"].pos() == QPointF(900, 600)
    w.document.undo_stack.undo()  # one step: the node and its place
    assert w.document.text == before and "deploy" not in w.scene.node_items
    node = w.scene.node_items["a"]
    assert w.scene.background_menu(node.scenePos() + QPointF(10, 10)) is None  # not over a node
