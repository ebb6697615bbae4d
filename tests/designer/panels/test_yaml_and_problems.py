"""The YAML dock both ways, the problems dock, and the inspector's inline validation."""

from __future__ import annotations

import gc
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from designer.document.model_api import edits
from tests.support.yaml_texts import PREP_TRAIN

pytestmark = pytest.mark.gui

FILE = "# training pipeline\n" + PREP_TRAIN


@pytest.fixture
def opened(window, tmp_path):
    path = tmp_path / "valohai.yaml"
    path.write_text(FILE, encoding="utf-8")
    assert window.files.open_path(path, confirm=False)
    return window


def test_canvas_edit_reaches_yaml_and_problems_within_200ms(opened, qtbot) -> None:
    w = opened
    assert w.yaml_panel.editor.toPlainText() == FILE
    gc.collect()  # earlier tests' windows: don't let their teardown land inside the measurement
    qtbot.wait(100)
    seen: dict[str, float] = {}
    w.yaml_panel.editor.document().contentsChanged.connect(
        lambda: seen.setdefault("yaml", time.perf_counter())
    )
    w.problems.counts_changed.connect(lambda *_: seen.setdefault("problems", time.perf_counter()))
    w.editor.edit("remove edge", edits.remove_edge, "p", 0)
    changed = time.perf_counter()  # the document has changed: the docks must follow within 200 ms
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=1000)
    assert seen["yaml"] - changed < 0.2 and seen["problems"] - changed < 0.2, seen
    assert "train.input.data" not in w.yaml_panel.editor.toPlainText()
    assert any("train" in d.message for d in w.problems.diagnostics)
    assert w.yaml_panel.editor.toPlainText() == w.document.text
    assert w.yaml_panel.editor.toPlainText().startswith("# training pipeline\n")  # comment kept


def _type_at_end(w, text: str) -> None:
    editor = w.yaml_panel.editor
    cursor = editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    editor.setTextCursor(cursor)
    editor.insertPlainText(text)


def test_typing_yaml_resyncs_the_canvas_as_one_undo_step(opened, qtbot) -> None:
    w = opened
    count = w.document.undo_stack.count()
    editor = w.yaml_panel.editor
    text = editor.toPlainText().replace(
        "    edges:", "      - name: check\n        type: execution\n        step: prep\n    edges:"
    )
    editor.selectAll()
    editor.insertPlainText(text)
    assert "check" not in w.scene.node_items  # not before the pause
    qtbot.waitUntil(lambda: "check" in w.scene.node_items, timeout=3000)
    assert w.document.undo_stack.count() == count + 1
    assert w.document.undo_stack.undoText() == "Edit YAML text"
    w.document.undo_stack.undo()
    assert "check" not in w.scene.node_items
    qtbot.waitUntil(lambda: w.yaml_panel.editor.toPlainText() == FILE, timeout=1000)


def test_invalid_yaml_text_shows_the_error_and_leaves_the_canvas(opened, qtbot) -> None:
    w = opened
    _type_at_end(w, "      - [unclosed\n")
    qtbot.waitUntil(lambda: "Does not parse" in w.yaml_panel.status.text(), timeout=3000)
    assert "line" in w.yaml_panel.status.text()
    assert w.document.text == FILE + "      - [unclosed\n"  # kept as typed, never dropped
    assert set(w.scene.node_items) == {"prep", "train"} and len(w.scene.edge_items) == 1
    assert w.yaml_panel.editor.extraSelections()  # the error line is marked


def test_problem_click_selects_node_and_yaml_line(opened, qtbot) -> None:
    w = opened
    w.editor.edit("bad step", edits.set_node_field, "p", "train", "step", "nope")
    qtbot.waitUntil(lambda: any("nope" in d.message for d in w.problems.diagnostics), timeout=2000)
    row = next(i for i, d in enumerate(w.problems.diagnostics) if "nope" in d.message)
    item = w.problems.tree.topLevelItem(row)
    rect = w.problems.tree.visualItemRect(item)
    qtbot.mouseClick(w.problems.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert w.scene.selected_node_names() == ["train"]
    cursor_line = w.yaml_panel.editor.textCursor().blockNumber() + 1
    assert cursor_line == w.problems.diagnostics[row].line
    assert "nope" in w.yaml_panel.editor.textCursor().block().text()


def test_inspector_shows_invalid_values_inline_and_does_not_apply(opened, qtbot) -> None:
    w = opened
    w.scene.select_node("train")
    table = w.inspector.step_form.params.table
    default_col = 2
    item = table.item(0, default_col)
    assert item.text() == "3"
    text = w.document.text
    item.setText("three")  # what the delegate does when the user types
    assert w.inspector.step_form.params.error.isVisible()
    assert "whole number" in w.inspector.step_form.params.error.text()
    assert w.document.text == text
    w.inspector.step_form.params.table.item(0, default_col).setText("5")
    assert "default: 5" in w.document.text
    assert w.document.text.count("\n") == text.count("\n")  # one line changed


def test_inspector_typing_merges_into_one_undo_step(opened, qtbot) -> None:
    w = opened
    w.scene.select_node("train")
    image = w.inspector.step_form.image
    count = w.document.undo_stack.count()
    for value in ("python:3", "python:3.12"):
        image.setFocus()
        image.selectAll()
        qtbot.keyClicks(image, value)
        qtbot.keyClick(image, Qt.Key.Key_Return)
    assert "image: python:3.12" in w.document.text
    assert w.document.undo_stack.count() == count + 1
    w.document.undo_stack.undo()
    assert w.document.text == FILE


def test_history_dock_lists_commands(opened, qtbot) -> None:
    w = opened
    w.editor.edit("Remove the edge", edits.remove_edge, "p", 0)
    model = w.history.model()
    assert model.rowCount() == 2  # the clean state and the command
    assert model.index(1, 0).data() == "Remove the edge"
    w.history.setCurrentIndex(model.index(0, 0))  # clicking the first row undoes
    assert w.document.text == FILE


def test_node_name_invalid_inline(opened, qtbot) -> None:
    w = opened
    w.scene.select_node("prep")
    field = w.inspector.node_form.name
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, "a.b")
    assert "cannot contain" in field.problem
    assert "border" in field.styleSheet()
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert w.document.text == FILE


def test_selecting_a_node_shows_it_in_the_yaml_dock(opened, qtbot) -> None:
    w = opened
    w.yaml_dock.show()
    w.yaml_dock.raise_()
    qtbot.waitUntil(lambda: not w.yaml_dock.visibleRegion().isEmpty(), timeout=1000)
    w.scene.select_node("train")
    line = w.yaml_panel.editor.textCursor().block().text()
    assert line.strip() == "- name: train" and w.yaml_panel.editor.textCursor().blockNumber() > 15
    w.scene.select_edge(0)
    assert "prep.output.*" in w.yaml_panel.editor.textCursor().block().text()
