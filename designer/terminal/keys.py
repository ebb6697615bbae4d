"""What a key press sends to a terminal program (xterm conventions)."""

from __future__ import annotations

from PySide6.QtCore import Qt

_CURSOR = {Qt.Key.Key_Up: "A", Qt.Key.Key_Down: "B", Qt.Key.Key_Right: "C", Qt.Key.Key_Left: "D"}
_FIXED = {
    Qt.Key.Key_Return: b"\r",
    Qt.Key.Key_Enter: b"\r",
    Qt.Key.Key_Backspace: b"\x7f",
    Qt.Key.Key_Tab: b"\t",
    Qt.Key.Key_Backtab: b"\x1b[Z",
    Qt.Key.Key_Escape: b"\x1b",
    Qt.Key.Key_Home: b"\x1b[H",
    Qt.Key.Key_End: b"\x1b[F",
    Qt.Key.Key_Insert: b"\x1b[2~",
    Qt.Key.Key_Delete: b"\x1b[3~",
    Qt.Key.Key_PageUp: b"\x1b[5~",
    Qt.Key.Key_PageDown: b"\x1b[6~",
    Qt.Key.Key_F1: b"\x1bOP",
    Qt.Key.Key_F2: b"\x1bOQ",
    Qt.Key.Key_F3: b"\x1bOR",
    Qt.Key.Key_F4: b"\x1bOS",
    Qt.Key.Key_F5: b"\x1b[15~",
    Qt.Key.Key_F6: b"\x1b[17~",
    Qt.Key.Key_F7: b"\x1b[18~",
    Qt.Key.Key_F8: b"\x1b[19~",
    Qt.Key.Key_F9: b"\x1b[20~",
    Qt.Key.Key_F10: b"\x1b[21~",
    Qt.Key.Key_F11: b"\x1b[23~",
    Qt.Key.Key_F12: b"\x1b[24~",
}


def key_bytes(key: int, mods: Qt.KeyboardModifier, text: str, app_cursor: bool = False) -> bytes:
    """The bytes for one key press; b"" for keys that send nothing (a lone Shift)."""
    ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
    alt = bool(mods & Qt.KeyboardModifier.AltModifier)
    if key in _CURSOR:
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        modifier = 1 + (2 if alt else 0) + (4 if ctrl else 0) + (1 if shift else 0)
        if modifier > 1:
            return f"\x1b[1;{modifier}{_CURSOR[key]}".encode()
        return f"\x1b{'O' if app_cursor else '['}{_CURSOR[key]}".encode()  # type: ignore[index]
    if key in _FIXED:
        return (b"\x1b" if alt else b"") + _FIXED[key]  # type: ignore[index]
    if ctrl and Qt.Key.Key_A <= key <= Qt.Key.Key_Z:  # Ctrl+C is ETX (SIGINT via the pty), ...
        return (b"\x1b" if alt else b"") + bytes([key - Qt.Key.Key_A + 1])
    if ctrl and key in (Qt.Key.Key_BracketLeft, Qt.Key.Key_Backslash, Qt.Key.Key_BracketRight):
        return bytes([0x1B + (key - Qt.Key.Key_BracketLeft)])
    if ctrl and key == Qt.Key.Key_Space:
        return b"\x00"
    if text:
        return (b"\x1b" if alt else b"") + text.encode()
    return b""
