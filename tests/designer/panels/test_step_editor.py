"""The step editor as a user finds it: from the Steps list, with types as a list, outputs declared
and used by an edge, and tables whose Name column stays in view."""

from __future__ import annotations

from pathlib import Path

import yaml
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox

from designer.panels.value_parsing import PARAM_TYPES
from runner.config import lint, load
from tests.support.widgets import drag_edge, palette_item
from tests.support.yaml_texts import node, parameter, pipeline, step, train_py

YAML = (
    train_py(
        "parameters:\n"
        + parameter("learning_rate", "float", 0.1)
        + "    description: step size of the optimiser, a long description that needs the space\n"
        + "inputs:\n  - name: dataset\n"
    )
    + step("evaluate", image="python:3.12", command="python evaluate.py", body="inputs:\n  - name: model\n")
    + pipeline("p", node("train"), node("evaluate"))
)


def _open(window, tmp_path: Path) -> Path:
    path = tmp_path / "valohai.yaml"
    path.write_text(YAML, encoding="utf-8")
    assert window.files.open_path(path, confirm=False)
    return path


def test_clicking_a_step_opens_its_editor_alone(window, tmp_path: Path, qtbot) -> None:
    _open(window, tmp_path)
    window.scene.select_node("evaluate")
    item = palette_item(window, "train")
    rect = window.palette_panel.list.visualItemRect(item)
    QTest.mouseClick(window.palette_panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    inspector = window.inspector
    assert window.scene.selected_node_names() == []  # the canvas selection gave way to the step
    assert inspector.step_form.isVisible() and inspector.step_form.step == "train"
    assert not inspector.node_form.isVisible() and not inspector.pipeline_form.isVisible()
    assert inspector.pipeline_button.isVisible()
    inspector.pipeline_button.click()
    assert inspector.pipeline_form.isVisible() and not inspector.step_form.isVisible()
    # Double-click and the context menu open it too.
    QTest.mouseDClick(window.palette_panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert inspector.step_form.isVisible() and inspector.step_form.step == "train"
    inspector.show_pipeline_settings()
    menu = window.palette_panel.context_menu("evaluate")
    assert [a.text() for a in menu.actions() if a.text()] == [
        "&Edit Step",
        "&Add Node to Pipeline",
        "&Delete Step…",
    ]
    menu.actions()[0].trigger()
    assert inspector.step_form.step == "evaluate"
    # Selecting a node again shows the node with its step under it.
    window.scene.select_node("train")
    assert inspector.node_form.isVisible() and inspector.step_form.step == "train"


def test_add_node_and_delete_step_from_the_context_menu(window, tmp_path: Path) -> None:
    _open(window, tmp_path)
    menu = window.palette_panel.context_menu("evaluate")
    menu.actions()[1].trigger()  # Add Node to Pipeline
    assert "evaluate-2" in window.document.view("p").nodes or len(window.document.view("p").nodes) == 3
    window.step_actions.confirm = lambda title, text: "evaluate" in text
    window.palette_panel.context_menu("evaluate").actions()[-1].trigger()  # Delete Step…
    assert "evaluate" not in window.document.config.steps
    window.document.undo_stack.undo()
    assert "evaluate" in window.document.config.steps


def test_parameter_type_is_a_list(window, tmp_path: Path) -> None:
    _open(window, tmp_path)
    window.inspector.show_step("train")
    table = window.inspector.step_form.params.table
    combo = table.cellWidget(0, 1)
    assert isinstance(combo, QComboBox)
    assert [combo.itemText(i) for i in range(combo.count())] == list(PARAM_TYPES)
    combo.setCurrentText("integer")
    combo.activated.emit(combo.currentIndex())
    body = yaml.safe_load(window.document.text)[0]["step"]
    assert body["parameters"][0]["type"] == "integer"


def test_a_declared_output_is_a_port_an_edge_uses_and_valid_yaml(window, tmp_path: Path, qtbot) -> None:
    path = _open(window, tmp_path)
    window.inspector.show_step("train")
    outputs = window.inspector.step_form.outputs
    outputs.add_button.click()
    name_cell = outputs.table.item(0, 0)
    name_cell.setText("model.pkl")  # what typing in the cell commits
    window.inspector.step_form.outputs.table.item(0, 1).setText("the trained model")
    body = yaml.safe_load(window.document.text)[0]["step"]
    assert body["outputs"] == [{"name": "model.pkl", "description": "the trained model"}]
    # The canvas shows it as an output port of train, and an edge can be drawn from it.
    qtbot.waitUntil(
        lambda: window.scene.node_items["train"].port_item("out", "output", "model.pkl") is not None
    )
    drag_edge(window, "train.output.model.pkl", "evaluate.input.model")
    pipeline = yaml.safe_load(window.document.text)[2]["pipeline"]
    assert pipeline["edges"] == [["train.output.model.pkl", "evaluate.input.model"]] or pipeline["edges"] == [
        {"source": "train.output.model.pkl", "target": "evaluate.input.model"}
    ]
    window.files.save()
    loaded = load(path)
    assert [d.format() for d in lint(loaded) if d.severity == "error"] == []
    assert loaded.config.steps["train"].outputs == [{"name": "model.pkl", "description": "the trained model"}]
    # Renaming the output renames the edge drawn from it.
    outputs.table.item(0, 0).setText("model.joblib")
    pipeline = yaml.safe_load(window.document.text)[2]["pipeline"]
    assert "train.output.model.joblib" in str(pipeline["edges"])


def test_the_name_column_stays_in_view(window, tmp_path: Path, qtbot) -> None:
    _open(window, tmp_path)
    window.inspector_dock.show()
    window.resizeDocks([window.inspector_dock], [320], Qt.Orientation.Horizontal)
    window.inspector.show_step("train")
    params = window.inspector.step_form.params
    qtbot.waitUntil(lambda: params.table.viewport().width() > 0)
    bar = params.table.horizontalScrollBar()
    assert bar.value() == 0  # opens on Name and Type
    bar.setValue(bar.maximum())
    assert bar.maximum() > 0, "the table is wide enough to scroll"
    frozen = params.frozen
    assert frozen is not None and frozen.isVisible()
    assert frozen.geometry().width() == params.table.columnWidth(0)
    assert frozen.model().index(0, 0).data() == "learning_rate"
    assert not frozen.isColumnHidden(0) and frozen.isColumnHidden(1)


def test_inputs_are_declared_with_a_description_and_an_output_pattern_feeds_an_edge(
    window, tmp_path: Path, qtbot
) -> None:
    path = _open(window, tmp_path)
    window.inspector.show_step("evaluate")
    inputs = window.inspector.step_form.inputs
    inputs.add_button.click()
    row = inputs.table.rowCount() - 1
    inputs.table.item(row, 0).setText("reports")
    description = [inputs.table.horizontalHeaderItem(c).text() for c in range(inputs.table.columnCount())]
    inputs.table.item(row, description.index("Description")).setText("csv files to summarise")
    body = yaml.safe_load(window.document.text)[1]["step"]
    assert body["inputs"][-1] == {"name": "reports", "description": "csv files to summarise"}
    # An output declared as a pattern is a port too, and the edge from it names the pattern.
    window.inspector.show_step("train")
    outputs = window.inspector.step_form.outputs
    outputs.add_button.click()
    outputs.table.item(0, 0).setText("reports/*.csv")
    qtbot.waitUntil(
        lambda: window.scene.node_items["train"].port_item("out", "output", "reports/*.csv") is not None
    )
    drag_edge(window, "train.output.reports/*.csv", "evaluate.input.reports")
    assert "train.output.reports/*.csv" in str(yaml.safe_load(window.document.text)[2]["pipeline"]["edges"])
    window.files.save()
    assert [d.format() for d in lint(load(path)) if d.severity == "error"] == []


def test_another_node_opens_its_form_at_the_top_an_edit_keeps_its_place(window, tmp_path, qtbot) -> None:
    _open(window, tmp_path)
    window.resizeDocks([window.inspector_dock], [320], Qt.Orientation.Horizontal)
    window.scene.select_node("train")
    bar = window.inspector.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(bar.maximum())  # down at train's step parameters
    window.inspector.step_form.params.table.item(0, 2).setText("0.2")  # an edit refreshes the forms
    assert bar.value() == bar.maximum() > 0
    window.scene.select_node("evaluate")
    assert bar.value() == 0  # evaluate's name, not the middle of its step
