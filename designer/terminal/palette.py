"""Terminal colours: pyte's colour names and 256-colour/true-colour hex mapped to QColors."""

from __future__ import annotations

from PySide6.QtGui import QColor

BACKGROUND = QColor("#1e1f22")
FOREGROUND = QColor("#d4d4d4")
# The 16 ANSI colours (a readable dark theme, close to common terminal defaults).
_NAMED = {
    "black": "#2e3436",
    "red": "#e05561",
    "green": "#8cc265",
    "brown": "#d19a66",
    "blue": "#4aa5f0",
    "magenta": "#c162de",
    "cyan": "#42b3c2",
    "white": "#d4d4d4",
    "brightblack": "#6b7078",
    "brightred": "#ff616e",
    "brightgreen": "#a5e075",
    "brightbrown": "#f0a45d",
    "brightblue": "#4dc4ff",
    "brightmagenta": "#de73ff",
    "brightcyan": "#4cd1e0",
    "brightwhite": "#ffffff",
}
_CACHE: dict[tuple[str, str, bool], QColor] = {}


def color_of(name: str, default: QColor, bright: bool = False) -> QColor:
    """``"red"``, ``"brightred"``, ``"ff8700"`` (pyte's forms) or ``"default"``; bold makes the
    eight base colours bright, as xterm does."""
    key = (name, default.name(), bright)
    found = _CACHE.get(key)
    if found is not None:
        return found
    if name == "default":
        color = default
    elif name in _NAMED:
        color = QColor(_NAMED.get(f"bright{name}" if bright and not name.startswith("bright") else name))
    elif len(name) == 6:
        color = QColor(f"#{name}")
        color = color if color.isValid() else default
    else:
        color = default
    _CACHE[key] = color
    return color
