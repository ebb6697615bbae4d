"""Pipeline add / rename / delete, and opening a file by dropping it on the window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

pytestmark = pytest.mark.gui


def test_add_rename_delete_pipeline_with_undo(window, example_yaml: Path) -> None:
    w = window
    w.files.open_path(example_yaml, confirm=False)
    w.show_pipeline("My medium pipeline")
    positions = w.document.positions("My medium pipeline")
    assert w.editor.rename_pipeline("My medium pipeline", "Medium") is None
    assert w.current_pipeline == "Medium"
    assert w.pipeline_bar.combo.currentText() == "Medium"
    assert w.document.positions("Medium") == positions  # the layout follows the rename
    assert w.editor.add_pipeline("Fresh") is None
    assert w.current_pipeline == "Fresh" and w.scene.node_items == {}
    assert w.editor.add_pipeline("Fresh") is not None  # duplicate name refused, nothing pushed
    assert w.editor.remove_pipeline("Fresh") is None
    assert "Fresh" not in w.document.pipeline_names()
    assert w.current_pipeline in w.document.pipeline_names()
    while w.document.undo_stack.canUndo():
        w.document.undo_stack.undo()
    assert w.document.text == example_yaml.read_text(encoding="utf-8")
    assert "My medium pipeline" in w.document.pipeline_names()


def test_dropping_a_yaml_file_on_the_window_opens_it(window, example_yaml: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(example_yaml))])
    pos = QPointF(20, 20)
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime, buttons, mods)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window, QDropEvent(pos, Qt.DropAction.CopyAction, mime, buttons, mods))
    assert window.document.path == example_yaml.resolve()
    assert window.scene.node_items


def test_non_yaml_drops_are_refused(window, tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello", encoding="utf-8")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(other))])
    enter = QDragEnterEvent(
        QPoint(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


def test_new_step_dialog_validates_inline(window, qtbot) -> None:
    from PySide6.QtWidgets import QDialogButtonBox

    from designer.panels.new_step_dialog import NewStepDialog

    dialog = NewStepDialog({"train"}, window)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    qtbot.keyClicks(dialog.name, "train")
    assert "already exists" in dialog.error.text() and not ok.isEnabled()
    qtbot.keyClicks(dialog.name, "-2")
    assert ok.isEnabled()
    assert dialog.values() == ("train-2", "python:3.12", "python main.py {parameters}")
