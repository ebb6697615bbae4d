"""Deployment nodes and endpoints in the inspector: the node's deployment, aliases and endpoint
check list; the endpoint's fields and files; a new endpoint; wiring an output to an endpoint file."""

from __future__ import annotations

import pytest
import yaml
from PySide6.QtCore import Qt

from tests.support.inspector import choose, open_text, type_into
from tests.support.widgets import drag_edge
from tests.support.yaml_texts import node, pipeline, step

pytestmark = pytest.mark.gui

FILE = (
    step("train", image="python:3.12", command="python train.py")
    + """\
- endpoint:
    name: predict
    image: python:3.12-slim
    server-command: python serve.py
    port: 8000
    files:
      - name: model
        path: model.pkl
- endpoint:
    name: explain
    image: python:3.12-slim
    wsgi: explain:app
"""
    + pipeline("p", node("train"), node("deploy", "prod", kind="deployment", body="endpoints: [predict]\n"))
)


@pytest.fixture
def w(window, tmp_path):
    open_text(window, tmp_path, FILE)
    window.scene.select_node("deploy")
    return window


def items(w, kind: str) -> list[dict]:
    return [i[kind] for i in yaml.safe_load(w.document.text) if kind in i]


def deploy_node(w) -> dict:
    return items(w, "pipeline")[0]["nodes"][1]


def check(form, name: str, on: bool) -> None:
    for i in range(form.endpoints.count()):
        if form.endpoints.item(i).text() == name:
            form.endpoints.item(i).setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            return
    raise AssertionError(name)


def test_deployment_node_fields_and_endpoint_check_list(w, qtbot) -> None:
    form = w.inspector.deployment_form
    assert form.isVisible() and not w.inspector.step_form.isVisible()
    assert [form.endpoints.item(i).text() for i in range(form.endpoints.count())] == ["predict", "explain"]
    before = w.document.text
    type_into(qtbot, form.deployment, "staging")
    type_into(qtbot, form.aliases, "latest, blue")
    check(form, "explain", True)
    assert deploy_node(w) == {
        "name": "deploy",
        "type": "deployment",
        "deployment": "staging",
        "endpoints": ["predict", "explain"],
        "aliases": ["latest", "blue"],
    }
    assert "        endpoints: [predict, explain]\n" in w.document.text
    form.deployment.setFocus()
    form.deployment.selectAll()
    qtbot.keyClick(form.deployment, Qt.Key.Key_Delete)
    assert "cannot be empty" in form.problem.text()
    for _ in range(3):
        w.document.undo_stack.undo()
    assert w.document.text == before


def test_endpoint_fields_files_and_rename(w, qtbot) -> None:
    ep = w.inspector.endpoint_form
    assert ep.isVisible() and ep.title() == "Endpoint — predict"
    before = w.document.text
    type_into(qtbot, ep.port, "80")
    assert "1025 to 65535" in ep.problem.text() and w.document.text == before
    type_into(qtbot, ep.port, "8080")
    type_into(qtbot, ep.image, "python:3.13-slim")
    type_into(qtbot, ep.description, "Scores one row")
    assert items(w, "endpoint")[0] == {
        "name": "predict",
        "image": "python:3.13-slim",
        "server-command": "python serve.py",
        "port": 8080,
        "files": [{"name": "model", "path": "model.pkl"}],
        "description": "Scores one row",
    }
    # WSGI instead of a server command: one replaces the other.
    index = ep.serve.findText("WSGI application")
    ep.serve.setCurrentIndex(index)
    ep.serve.activated.emit(index)
    assert (
        items(w, "endpoint")[0]["wsgi"] == "python serve.py"
        and "server-command" not in items(w, "endpoint")[0]
    )
    type_into(qtbot, ep.command, "serve:app")
    assert items(w, "endpoint")[0]["wsgi"] == "serve:app"
    # Files: add one, set its path, rename it.
    qtbot.mouseClick(ep.files.add_button, Qt.MouseButton.LeftButton)
    ep.files.table.item(1, 1).setText("encoder.pkl")
    ep.files.table.item(1, 0).setText("encoder")
    assert items(w, "endpoint")[0]["files"][1] == {"name": "encoder", "path": "encoder.pkl"}
    # Renaming the endpoint follows the deployment node.
    type_into(qtbot, ep.name, "Predict")
    assert "Lowercase" in ep.problem.text()
    type_into(qtbot, ep.name, "predict-v2")
    assert deploy_node(w)["endpoints"] == ["predict-v2"] and ep.title() == "Endpoint — predict-v2"
    while w.document.undo_stack.canUndo():
        w.document.undo_stack.undo()
    assert w.document.text == before


def test_new_endpoint_is_one_undo_step(w, qtbot) -> None:
    before = w.document.text
    qtbot.mouseClick(w.inspector.deployment_form.new_endpoint, Qt.MouseButton.LeftButton)
    assert [e["name"] for e in items(w, "endpoint")] == ["predict", "explain", "predict-2"]
    assert items(w, "endpoint")[2]["image"] == "python:3.12"  # the steps' image
    assert deploy_node(w)["endpoints"] == ["predict", "predict-2"]
    w.document.undo_stack.undo()
    assert w.document.text == before


def test_wire_an_output_to_an_endpoint_file_and_renames_follow(w, qtbot) -> None:
    assert w.scene.node_items["deploy"].port_item("in", "file", "predict.model") is not None
    drag_edge(w, "train.output.*", "deploy.file.predict.model")
    assert "      - [train.output.*, deploy.file.predict.model]\n" in w.document.text
    w.scene.select_node("deploy")
    ep = w.inspector.endpoint_form
    ep.files.table.item(0, 0).setText("weights")
    assert "      - [train.output.*, deploy.file.predict.weights]\n" in w.document.text
    assert w.scene.node_items["deploy"].port_item("in", "file", "predict.weights") is not None
    check(w.inspector.deployment_form, "predict", False)  # no longer deployed: its file edge goes
    assert deploy_node(w).get("endpoints") is None
    assert "deploy.file" not in w.document.text


def test_pick_another_endpoint_to_edit(w, qtbot) -> None:
    ep = w.inspector.endpoint_form
    choose(ep.which, "explain")
    assert ep.title() == "Endpoint — explain" and ep.serve.currentText() == "WSGI application"
    assert ep.command.text() == "explain:app" and ep.files.table.rowCount() == 0
    type_into(qtbot, ep.command, "explain.api:app")
    assert items(w, "endpoint")[1]["wsgi"] == "explain.api:app"
    assert ep.endpoint == "explain"  # still the one picked, after the edit's refresh
