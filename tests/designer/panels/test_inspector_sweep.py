"""The inspector's Sweep section: create a sweep from a node, edit the blueprint and its varied
parameters with the real widgets, see the live execution count, undo/redo to the exact text."""

from __future__ import annotations

import pytest
import yaml
from PySide6.QtCore import Qt

from tests.support.inspector import choose, open_text, type_into
from tests.support.yaml_texts import LEARNING_RATE_EPOCHS, SWEEP_PIPELINE, train_py

pytestmark = pytest.mark.gui

FILE = (
    train_py(LEARNING_RATE_EPOCHS)
    + """
- task:
    name: lr-sweep   # the blueprint
    step: train
    parameters:
      - name: learning-rate
        style: multiple
        rules: {items: [0.1, 0.01]}

"""
    + SWEEP_PIPELINE
)


@pytest.fixture
def w(window, tmp_path):
    open_text(window, tmp_path, FILE)
    return window


def blueprint(w, name: str) -> dict:
    data = yaml.safe_load(w.document.text)
    return next(i["task"] for i in data if i.get("task", {}).get("name") == name)


def test_switch_to_task_and_create_a_sweep_is_one_undo_step_each(w, qtbot) -> None:
    w.scene.select_node("train")
    inspector = w.inspector
    assert not inspector.sweep_form.isVisible()
    choose(inspector.node_form.type, "task")
    assert "        type: task\n        step: train\n" in w.document.text
    form = inspector.sweep_form
    assert form.isVisible() and form.create.isVisible()
    before = w.document.text
    qtbot.mouseClick(form.create, Qt.MouseButton.LeftButton)
    assert blueprint(w, "train") == {
        "name": "train",
        "step": "train",
        "type": "grid_search",
        "parameters": [{"name": "learning-rate", "style": "multiple", "rules": {"items": [0.01]}}],
    }
    assert "        task: train\n" in w.document.text
    assert form.blueprint.isVisible() and form.total.text() == "= 1 execution"
    assert not inspector.node_form.step.isEnabled()  # the blueprint names the step now
    assert inspector.step_form.isVisible() and inspector.step_form.step == "train"
    after = w.document.text
    w.document.undo_stack.undo()
    assert w.document.text == before
    w.document.undo_stack.redo()
    assert w.document.text == after


def test_edit_values_style_and_type_with_live_count(w, qtbot) -> None:
    w.scene.select_node("sweep")
    form = w.inspector.sweep_form
    assert form.total.text() == "= 2 executions"
    before = w.document.text
    type_into(qtbot, form.rules.fields["items"], "0.1, 0.01, 0.001")
    assert "        rules: {items: [0.1, 0.01, 0.001]}\n" in w.document.text
    assert form.total.text() == "= 3 executions"
    # Vary a second parameter: the first free one of the step, as a grid axis.
    qtbot.mouseClick(form.variants.add_button, Qt.MouseButton.LeftButton)
    assert [v["name"] for v in blueprint(w, "lr-sweep")["parameters"]] == ["learning-rate", "epochs"]
    assert form.selected == "epochs"
    choose(form.variants.table.cellWidget(1, 1), "linear")
    assert blueprint(w, "lr-sweep")["parameters"][1]["rules"] == {"start": 0, "end": 1, "step": 0.1}
    assert form.rules.fields["step"].isVisible() and not form.rules.fields["items"].isVisible()
    type_into(qtbot, form.rules.fields["start"], "1")
    type_into(qtbot, form.rules.fields["end"], "4")
    type_into(qtbot, form.rules.fields["step"], "1")
    assert blueprint(w, "lr-sweep")["parameters"][1]["rules"] == {"start": 1, "end": 4, "step": 1}
    assert form.total.text() == "= 12 executions"  # 3 rates × 4 epochs
    # A bad rule is refused inline and changes nothing.
    text = w.document.text
    form.rules.fields["step"].setFocus()
    qtbot.keyClicks(form.rules.fields["step"], "x")
    assert "not a number" in form.problem.text()
    assert w.document.text == text
    # Random search: the execution count applies.
    choose(form.type, "Random search")
    assert form.count.isEnabled()
    type_into(qtbot, form.count, "7")
    assert blueprint(w, "lr-sweep")["type"] == "random_search"
    assert blueprint(w, "lr-sweep")["execution-count"] == 7
    assert form.total.text() == "= 7 executions"
    while w.document.undo_stack.canUndo():
        w.document.undo_stack.undo()
    assert w.document.text == before


def test_change_varied_parameter_and_remove(w, qtbot) -> None:
    w.scene.select_node("sweep")
    form = w.inspector.sweep_form
    choose(form.variants.table.cellWidget(0, 0), "epochs")
    assert blueprint(w, "lr-sweep")["parameters"][0]["name"] == "epochs"
    assert "      - name: epochs\n        style: multiple\n" in w.document.text
    form.variants.table.selectRow(0)
    qtbot.mouseClick(form.variants.remove_button, Qt.MouseButton.LeftButton)
    assert blueprint(w, "lr-sweep")["parameters"] == []
    assert form.total.text() == "= 1 execution"


def test_manual_search_parameter_sets(w, qtbot) -> None:
    w.scene.select_node("sweep")
    form = w.inspector.sweep_form
    choose(form.type, "Manual search")
    assert form.sets.isVisible()
    form.sets.setFocus()
    form.sets.setPlainText(
        "- {learning-rate: 0.1, epochs: 3}\n- {learning-rate: 0.2, epochs: 4}\n- {epochs: 9}\n"
    )
    form.sets.commit()
    assert blueprint(w, "lr-sweep")["parameter-sets"][2] == {"epochs": 9}
    assert form.total.text() == "= 3 executions"
    form.sets.setPlainText("- {depth: 3}")
    form.sets.commit()
    assert 'no parameter named "depth"' in form.problem.text()


def test_rename_blueprint_follows_the_node(w, qtbot) -> None:
    w.scene.select_node("sweep")
    form = w.inspector.sweep_form
    type_into(qtbot, form.name, "search")
    assert "    name: search   # the blueprint\n" in w.document.text
    assert "        task: search\n" in w.document.text
    assert form.title() == "Sweep — search"


def test_unusual_blueprints_are_shown_and_kept(window, tmp_path) -> None:
    text = FILE.replace(
        "    parameters:\n      - name: learning-rate\n        style: multiple",
        "    type: bayesian_tpe\n    parameters:\n      - name: learning-rate\n        style: multiple",
    )
    w = open_text(window, tmp_path, text)
    w.scene.select_node("sweep")
    form = w.inspector.sweep_form
    assert form.type.currentText() == "bayesian_tpe"
    assert "not supported by the local runner" in form.total.text()
    before = w.document.text
    w.inspector.refresh()
    assert [form.type.itemText(i) for i in range(form.type.count())].count("bayesian_tpe") == 1
    choose(form.type, "Grid search")
    assert blueprint(w, "lr-sweep")["type"] == "grid_search" and form.total.text() == "= 2 executions"
    w.document.undo_stack.undo()
    assert w.document.text == before
