"""What a user's hands do in the inspector: pick in a drop-down, type into a field and press Enter."""

from __future__ import annotations

from PySide6.QtCore import Qt


def choose(combo, text: str) -> None:
    """A pick in a drop-down: the index changes and ``activated`` fires, as for a click."""
    index = combo.findText(text)
    assert index >= 0, f"{text!r} not in {[combo.itemText(i) for i in range(combo.count())]}"
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def type_into(qtbot, field, text: str) -> None:
    """Replace a line field's text by typing, then Enter."""
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def open_text(window, tmp_path, text: str):
    path = tmp_path / "valohai.yaml"
    path.write_text(text, encoding="utf-8")
    assert window.files.open_path(path, confirm=False)
    return window
