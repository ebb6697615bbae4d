"""Icons from ``resources/icons``: line icons drawn in ``currentColor``, tinted to the palette."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

_SOURCE_ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
# A wheel or pipx install puts them under <prefix>/share (pyproject's data-files).
ICON_DIR = (
    _SOURCE_ICONS if _SOURCE_ICONS.is_dir() else Path(sys.prefix) / "share" / "pipeline-designer" / "icons"
)
_SIZES = (16, 20, 24, 32, 48)


def _render(svg: str, size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    painter = QPainter(pixmap)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


@cache
def _icon(name: str, color: str) -> QIcon:
    path = ICON_DIR / f"{name}.svg"
    if not path.is_file():
        return QIcon()
    svg = path.read_text(encoding="utf-8")
    icon = QIcon()
    for size in _SIZES:
        icon.addPixmap(_render(svg.replace("currentColor", color), size), QIcon.Mode.Normal)
        disabled = svg.replace("currentColor", color).replace('stroke="', 'stroke-opacity="0.35" stroke="', 1)
        icon.addPixmap(_render(disabled, size), QIcon.Mode.Disabled)
    return icon


def icon(name: str) -> QIcon:
    """The named icon, tinted with the palette's text colour (so it suits light and dark)."""
    color = QGuiApplication.palette().color(QPalette.ColorRole.WindowText)
    color.setAlpha(255)
    tint = color.lighter(115) if color.lightness() > 128 else color.lighter(160)
    return _icon(name, tint.name())


def clear_cache() -> None:
    """Forget tinted icons (after a palette change)."""
    _icon.cache_clear()
