"""The everyday loop walked the way a user walks it, in one window on the real engine: run the
pipeline, change a parameter in the Inspector, Ctrl+S, Run This Node, move a node and save, leave
editor backups and a README, change a script, save text that does not parse, fix it in place and
run again. Each feature has its own tests; this one checks that they hold together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtTest import QTest

pytestmark = [pytest.mark.docker, pytest.mark.gui]

FAST = {"train.epochs": 3, "train.epoch_delay": 0}


def _finish(qtbot: Any, ui: Any, start: Any) -> Any:
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=180_000) as blocker:
        assert start()
    qtbot.waitUntil(lambda: not ui.controller.busy)
    return blocker.args[0]


def _save(window: Any) -> None:
    QTest.keyClick(window.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # the real shortcut


def _set_default(qtbot: Any, window: Any, step: str, parameter: str, value: str) -> None:
    """Select the node and type into the Default cell of the step's parameter table."""
    window.scene.select_node(step)
    table = window.inspector.step_form.params.table
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == parameter)
    column = next(c for c in range(table.columnCount()) if table.horizontalHeaderItem(c).text() == "Default")
    table.item(row, column).setText(value)


def test_edit_save_run_this_node_change_a_file_break_and_fix_the_text(
    qtbot: Any,
    make_run_window: Any,
    example_project: Path,
    prompts: Any,
    python_image: str,
    docker_client: Any,
    container_label: dict[str, str],
) -> None:
    ui = make_run_window(example_project, client=docker_client)
    ui.labels = container_label
    window, folder = ui.window, example_project.parent

    first = _finish(qtbot, ui, lambda: ui.run_pipeline(params=FAST, dialog=False))
    assert first.node_statuses == dict.fromkeys(["preprocess", "train", "evaluate"], "succeeded")

    # An Inspector edit, saved with Ctrl+S: the file holds it and only that node runs again.
    _set_default(qtbot, window, "evaluate", "min_accuracy", "0.5")
    assert "        default: 0.5\n" in window.document.text and window.document.modified
    _save(window)
    assert example_project.read_text(encoding="utf-8") == window.document.text
    assert not window.document.modified
    tweaked = _finish(qtbot, ui, lambda: ui.run_node("evaluate"))
    assert tweaked.node_statuses == {"evaluate": "succeeded"}
    assert ui.history.execution(tweaked.run_id, "evaluate")["parameters"]["min_accuracy"] == 0.5

    # Saving after a node move, editor backups and a README are not code: everything is reused.
    placed = window.document.positions(window.current_pipeline)["train"]
    window.editor.move_nodes({"train": (placed, (40, 520))})
    _save(window)
    (folder / "evaluate.py.orig").write_text("# an editor's backup\n")
    (folder / "train.py~").write_text("# another\n")
    (folder / "README.md").write_text("# notes\n")
    same = _finish(qtbot, ui, lambda: ui.run_pipeline(params=FAST, dialog=False))
    assert same.node_statuses == dict.fromkeys(["preprocess", "train", "evaluate"], "reused")

    # A script changes: the node that read it runs, the others are reused, and the Inspector says why.
    evaluate_py = folder / "evaluate.py"
    evaluate_py.write_text(evaluate_py.read_text() + "\n# threshold tuned\n")
    changed = _finish(qtbot, ui, lambda: ui.run_pipeline(params=FAST, dialog=False))
    assert changed.node_statuses == {"preprocess": "reused", "train": "reused", "evaluate": "succeeded"}
    window.scene.select_node("evaluate")
    assert "re-ran: evaluate.py changed" in window.inspector.run_note.text()

    # Text that does not parse: Ctrl+S saves exactly what is on screen, Run refuses and says where.
    editor = window.yaml_panel.editor
    good = editor.toPlainText()
    editor.setFocus()
    editor.moveCursor(QTextCursor.MoveOperation.End)
    QTest.keyClicks(editor, "oops: [")
    typed = editor.toPlainText()
    QTest.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert example_project.read_text(encoding="utf-8") == typed
    qtbot.waitUntil(lambda: window.scene.out_of_date, timeout=5000)
    warned = len(prompts.warnings)
    assert not ui.run_pipeline(params=FAST, dialog=False)
    assert not ui.controller.busy
    assert len(prompts.warnings) > warned and f"line {typed.count(chr(10)) + 1}" in prompts.warnings[-1]

    # Fixed in place: the canvas comes back, the save is the fixed text, and nothing needs to run.
    cursor = editor.textCursor()  # select what was typed and delete it
    cursor.setPosition(len(good))
    cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)
    QTest.keyClick(editor, Qt.Key.Key_Delete)
    assert editor.toPlainText() == good
    qtbot.waitUntil(lambda: not window.scene.out_of_date, timeout=5000)
    _save(window)
    assert example_project.read_text(encoding="utf-8") == good
    again = _finish(qtbot, ui, lambda: ui.run_pipeline(params=FAST, dialog=False))
    assert again.node_statuses == dict.fromkeys(["preprocess", "train", "evaluate"], "reused")
