"""The inspector's Actions section: rows of when / if / then edited in place, added and
removed; unusual shapes shown read-only and kept; the whole list editable as YAML."""

from __future__ import annotations

import pytest
import yaml
from PySide6.QtCore import Qt

from tests.support.inspector import choose, open_text
from tests.support.yaml_texts import node, pipeline, step

pytestmark = pytest.mark.gui

FILE = step("train", image="python:3.12", command="python train.py") + pipeline(
    "p",
    node(
        "train",
        body="""\
actions:
  - when: node-complete
    if: metadata.accuracy > 0.9   # good enough
    then: stop-pipeline
  - when: [node-starting, node-error]
    if: [parameter.epochs > 3, metadata.loss < 1]
    then: noop
""",
    ),
)


@pytest.fixture
def w(window, tmp_path):
    open_text(window, tmp_path, FILE)
    window.scene.select_node("train")
    return window


def actions(w) -> list:
    return yaml.safe_load(w.document.text)[1]["pipeline"]["nodes"][0].get("actions", [])


def test_edit_cells_add_and_remove_rows(w, qtbot) -> None:
    form = w.inspector.actions_form
    table = form.table.table
    assert table.rowCount() == 2
    before = w.document.text
    table.item(0, 2).setText("metadata.accuracy > 0.95")
    assert "            if: metadata.accuracy > 0.95   # good enough\n" in w.document.text
    choose(table.cellWidget(0, 1), "require-approval")
    assert actions(w)[0] == {
        "when": "node-complete",
        "if": "metadata.accuracy > 0.95",
        "then": "require-approval",
    }
    qtbot.mouseClick(form.table.add_button, Qt.MouseButton.LeftButton)
    assert actions(w)[2] == {"when": "node-complete", "then": "noop"}
    choose(form.table.table.cellWidget(2, 0), "node-error")
    choose(form.table.table.cellWidget(2, 1), "error-pipeline")
    assert actions(w)[2] == {"when": "node-error", "then": "error-pipeline"}
    form.table.table.selectRow(0)
    qtbot.mouseClick(form.table.remove_button, Qt.MouseButton.LeftButton)
    assert len(actions(w)) == 2 and actions(w)[0]["then"] == "noop"
    while w.document.undo_stack.canUndo():
        w.document.undo_stack.undo()
    assert w.document.text == before
    while w.document.undo_stack.canRedo():
        w.document.undo_stack.redo()
    assert len(actions(w)) == 2


def test_unusual_shapes_are_shown_read_only_and_kept(w) -> None:
    table = w.inspector.actions_form.table.table
    assert table.cellWidget(1, 0) is None  # a list of whens: no drop-down for it
    assert table.item(1, 0).text() == "node-starting, node-error"
    assert not (table.item(1, 0).flags() & Qt.ItemFlag.ItemIsEditable)
    assert table.item(1, 2).text() == "parameter.epochs > 3, metadata.loss < 1"
    assert not (table.item(1, 2).flags() & Qt.ItemFlag.ItemIsEditable)
    choose(table.cellWidget(1, 1), "stop-pipeline")  # its then is still editable
    assert actions(w)[1] == {
        "when": ["node-starting", "node-error"],
        "if": ["parameter.epochs > 3", "metadata.loss < 1"],
        "then": "stop-pipeline",
    }


def test_edit_as_yaml(w, qtbot) -> None:
    form = w.inspector.actions_form
    assert not form.text.isVisible()
    qtbot.mouseClick(form.as_yaml, Qt.MouseButton.LeftButton)
    assert form.text.isVisible() and "node-starting" in form.text.toPlainText()
    form.text.setFocus()
    form.text.setPlainText("- when: node-starting\n  then: require-approval\n")
    form.text.commit()
    assert actions(w) == [{"when": "node-starting", "then": "require-approval"}]
    form.text.setPlainText("when: nope")
    form.text.commit()
    assert "YAML list" in form.problem.text()
    assert form.table.table.rowCount() == 1
