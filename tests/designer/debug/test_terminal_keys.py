"""What keys send to a terminal program, and the colours it can ask for (no engine needed)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from designer.terminal.keys import key_bytes
from designer.terminal.palette import color_of

K, M = Qt.Key, Qt.KeyboardModifier


def test_keys() -> None:
    none = M.NoModifier
    assert key_bytes(K.Key_C, M.ControlModifier, "\x03") == b"\x03"  # SIGINT through the pty
    assert key_bytes(K.Key_D, M.ControlModifier, "") == b"\x04"
    assert key_bytes(K.Key_Up, none, "") == b"\x1b[A"
    assert key_bytes(K.Key_Up, none, "", app_cursor=True) == b"\x1bOA"  # vim, less
    assert key_bytes(K.Key_Left, M.ControlModifier, "") == b"\x1b[1;5D"  # word left
    assert key_bytes(K.Key_Return, none, "\r") == b"\r"
    assert key_bytes(K.Key_Backspace, none, "\x08") == b"\x7f"
    assert key_bytes(K.Key_Tab, none, "\t") == b"\t"
    assert key_bytes(K.Key_B, M.AltModifier, "b") == b"\x1bb"  # readline: word back
    assert key_bytes(K.Key_F5, none, "") == b"\x1b[15~"
    assert key_bytes(K.Key_A, none, "ä") == "ä".encode()
    assert key_bytes(K.Key_Shift, M.ShiftModifier, "") == b""


def test_colours() -> None:
    default = QColor("#123456")
    assert color_of("default", default) == default
    assert color_of("red", default) != color_of("red", default, bright=True)  # bold brightens
    assert color_of("red", default, bright=True) == color_of("brightred", default)
    assert color_of("ff8700", default).name() == "#ff8700"  # 256 colours and true colour
    assert color_of("not-a-colour", default) == default
