"""Nothing the user typed is ever lost: text that does not parse is saved, opened, autosaved
and recovered as typed, while the canvas stays on the last version that parsed (issue 12)."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from tests.designer.document.unparsable_texts import BROKEN, BROKEN_COLUMN, BROKEN_LINE, GOOD

pytestmark = pytest.mark.gui
Btn = QMessageBox.StandardButton
REPO = Path(__file__).resolve().parents[3]
CHILD_TIMEOUT_S = 60  # start-up of a designer process on a loaded machine, with room to spare


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    path = tmp_path / "valohai.yaml"
    path.write_text(GOOD, encoding="utf-8")
    return path


def _type_at_end(editor, keys: str) -> None:
    editor.setFocus()
    editor.moveCursor(QTextCursor.MoveOperation.End)
    QTest.keyClicks(editor, keys)


def _problem_rows(window) -> list[tuple[str, int, int]]:
    return [(d.message, d.line, d.column) for d in window.problems.diagnostics]


def test_pyyaml_marks_the_line_that_lost_its_colon_not_the_next_one() -> None:
    """PyYAML's problem mark is where it noticed (the next line); its context mark is the key."""
    with pytest.raises(yaml.MarkedYAMLError) as info:
        yaml.safe_load(BROKEN)
    assert info.value.problem_mark.line + 1 == BROKEN_LINE + 1  # what was reported before
    assert info.value.context_mark.line + 1 == BROKEN_LINE


def test_ctrl_s_saves_exactly_the_text_on_screen_when_it_does_not_parse(window, good_file, qtbot) -> None:
    assert window.files.open_path(good_file, confirm=False)
    editor = window.yaml_panel.editor
    _type_at_end(editor, "oops: [")
    typed = editor.toPlainText()
    QTest.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # the real shortcut
    assert good_file.read_text(encoding="utf-8") == typed  # their text, not the last valid one
    assert (good_file.parent / "valohai.yaml.bak").read_text(encoding="utf-8") == GOOD
    assert not window.document.modified
    qtbot.waitUntil(lambda: any("syntax" in m for m, _l, _c in _problem_rows(window)), timeout=3000)
    message, line, column = _problem_rows(window)[0]
    assert (line, column) == (typed.count("\n") + 1, 1), message  # where "oops" starts
    # The canvas stays on the last text that parsed, dimmed and saying so.
    assert set(window.scene.node_items) == {"prep", "train"}
    assert window.scene.out_of_date and window.scene.node_items["prep"].opacity() < 1
    assert window.view.banner.isVisible() and f"line {line}" in window.view.banner.text()
    assert "Does not parse" in window.yaml_panel.status.text()
    # Structural edits are refused while the text on screen does not parse: they would drop it.
    window.scene.select_node("prep")
    window.actions.delete.trigger()
    assert "prep" in window.document.view("p").nodes and window.document.text == typed
    assert not window.inspector.node_form.isEnabled()


def test_a_file_with_a_syntax_error_opens_and_comes_up_when_fixed_in_place(
    window, tmp_path, qtbot, monkeypatch
) -> None:
    broken = tmp_path / "valohai.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(broken), ""))
    window.actions.open.trigger()  # the real Open path
    assert window.document.path == broken.resolve()
    assert window.yaml_panel.editor.toPlainText() == BROKEN
    qtbot.waitUntil(lambda: any("syntax" in m for m, _l, _c in _problem_rows(window)), timeout=3000)
    assert len(_problem_rows(window)) == 1
    message, line, column = _problem_rows(window)[0]
    assert (line, column) == (BROKEN_LINE, BROKEN_COLUMN), message
    assert "key without its “:”" in message and f"noticed at line {BROKEN_LINE + 1}" in message
    assert window.problems.tree.topLevelItem(0).text(2) == str(BROKEN_LINE)
    assert not window.scene.node_items
    assert window.view.notice and f"line {BROKEN_LINE}" in window.view.notice
    assert window.yaml_panel.editor.textCursor().blockNumber() + 1 == BROKEN_LINE  # shown at the error
    # Fix it where it is: type the missing colon; the canvas comes up without reopening.
    editor = window.yaml_panel.editor
    cursor = editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.StartOfBlock)
    cursor.movePosition(QTextCursor.MoveOperation.Right, n=len("    command"))
    editor.setTextCursor(cursor)
    editor.setFocus()
    QTest.keyClicks(editor, ":")
    qtbot.waitUntil(lambda: set(window.scene.node_items) == {"prep", "train"}, timeout=3000)
    assert window.document.text == GOOD and window.document.text_problem is None
    assert window.view.notice is None and not window.scene.out_of_date
    assert window.document.modified and window.document.path == broken.resolve()
    qtbot.waitUntil(lambda: not any("syntax" in m for m, _l, _c in _problem_rows(window)), timeout=3000)


def test_closing_with_unsaved_or_unparsable_text_asks(window, good_file, prompts, qtbot) -> None:
    assert window.files.open_path(good_file, confirm=False)
    _type_at_end(window.yaml_panel.editor, "oops: [")
    prompts.answers = [Btn.Cancel]
    assert not window.close()
    assert prompts.asked == ["Unsaved changes"] and window.isVisible()
    window.files.save()
    prompts.answers = [Btn.Cancel]
    assert not window.close()  # saved, but as text the runner cannot use: still asks
    assert prompts.asked[-1] == "File does not parse" and window.isVisible()
    prompts.answers = [Btn.Discard]
    assert window.close()


def test_autosave_keeps_text_that_does_not_parse(window, good_file) -> None:
    assert window.files.open_path(good_file, confirm=False)
    _type_at_end(window.yaml_panel.editor, "oops: [")
    window.yaml_panel.flush()
    saved = window.files.autosave()
    assert saved is not None
    assert json.loads(saved.read_text(encoding="utf-8"))["text"] == window.yaml_panel.editor.toPlainText()


def test_after_kill_9_the_next_start_offers_the_unparsable_text_back(
    make_window, good_file, tmp_path, prompts, qtbot
) -> None:
    typed = tmp_path / "typed.txt"
    typed.write_text(BROKEN, encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("crash_child.py")), str(good_file),
         str(tmp_path / "child-settings.ini"), str(typed)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )  # fmt: skip
    try:
        ready, _w, _x = select.select([child.stdout], [], [], CHILD_TIMEOUT_S)
        line = child.stdout.readline() if ready and child.stdout else "(nothing in time)"
        assert line.strip() == "AUTOSAVED", (line, child.stderr.read() if child.poll() is not None else "")
        os.kill(child.pid, signal.SIGKILL)  # no clean close: the autosave stays
        assert child.wait(10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(10)
    assert good_file.read_text(encoding="utf-8") == GOOD  # the file on disk is the old one
    window = make_window()  # the same recovery folder (PIPELINE_DESIGNER_RECOVERY_DIR)
    prompts.answers = [Btn.Yes]
    assert window.files.open_path(good_file, confirm=False)
    assert prompts.asked == ["Recover unsaved changes"]
    assert window.document.text == BROKEN
    qtbot.waitUntil(lambda: window.yaml_panel.editor.toPlainText() == BROKEN, timeout=3000)
    assert window.document.text_problem is not None and window.document.modified
    assert set(window.scene.node_items) == {"prep", "train"} and window.scene.out_of_date


def test_typing_right_after_ctrl_s_is_kept(window, good_file, qtbot) -> None:
    """The view's sync after a save must not overwrite keys typed before it ran."""
    assert window.files.open_path(good_file, confirm=False)
    editor = window.yaml_panel.editor
    _type_at_end(editor, "oops: [")
    QTest.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    cursor = editor.textCursor()  # at once, before the event loop runs: delete what was typed
    cursor.setPosition(len(GOOD))
    cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)
    QTest.keyClick(editor, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: window.document.text == GOOD, timeout=3000)
    assert editor.toPlainText() == GOOD and not window.scene.out_of_date
