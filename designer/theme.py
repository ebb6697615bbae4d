"""Light and dark palettes that follow the system colour scheme, on the Fusion style."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette, QPen
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle

from designer.canvas.style import refresh_theme
from designer.icons import clear_cache

_DARK = {
    QPalette.ColorRole.Window: "#2b2d30",
    QPalette.ColorRole.WindowText: "#dfe1e5",
    QPalette.ColorRole.Base: "#1e1f22",
    QPalette.ColorRole.AlternateBase: "#26282b",
    QPalette.ColorRole.Text: "#dfe1e5",
    QPalette.ColorRole.Button: "#33363a",
    QPalette.ColorRole.ButtonText: "#dfe1e5",
    QPalette.ColorRole.Highlight: "#2f6fc6",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#3c3f41",
    QPalette.ColorRole.ToolTipText: "#dfe1e5",
    QPalette.ColorRole.PlaceholderText: "#8a8f96",
    QPalette.ColorRole.Link: "#6aa7f5",
    QPalette.ColorRole.Mid: "#3c3f43",
    QPalette.ColorRole.Dark: "#1b1c1f",
}
_LIGHT = {
    QPalette.ColorRole.Window: "#eff1f4",
    QPalette.ColorRole.WindowText: "#1f2328",
    QPalette.ColorRole.Base: "#ffffff",
    QPalette.ColorRole.AlternateBase: "#f6f8fa",
    QPalette.ColorRole.Text: "#1f2328",
    QPalette.ColorRole.Button: "#f6f7f9",
    QPalette.ColorRole.ButtonText: "#1f2328",
    QPalette.ColorRole.Highlight: "#2f7fe0",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#ffffff",
    QPalette.ColorRole.ToolTipText: "#1f2328",
    QPalette.ColorRole.PlaceholderText: "#6e7781",
    QPalette.ColorRole.Link: "#0969da",
    QPalette.ColorRole.Mid: "#d0d7de",
    QPalette.ColorRole.Dark: "#afb8c1",
}


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def make_palette(dark: bool) -> QPalette:
    palette = QPalette()
    for role, color in (_DARK if dark else _LIGHT).items():
        palette.setColor(role, QColor(color))
        disabled = QColor(color)
        if role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
            disabled.setAlpha(110)
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


class ThemeStyle(QProxyStyle):
    """Fusion, with check boxes outlined on a dark palette.

    Fusion outlines a check box a shade darker than the window and fills it with Base; on a dark
    list (Base darker than the window) an unchecked box is then invisible: the Series and Keys
    lists, the Optional columns. Item views draw theirs through this primitive too.
    """

    def __init__(self) -> None:
        super().__init__("Fusion")

    def drawPrimitive(self, element: Any, option: Any, painter: QPainter, widget: Any = None) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element != QStyle.PrimitiveElement.PE_IndicatorCheckBox:
            return
        if option.palette.color(QPalette.ColorRole.Base).lightness() >= 128:
            return  # light: Fusion's own outline shows
        outline = QColor(option.palette.color(QPalette.ColorRole.Text))
        outline.setAlpha(140 if option.state & QStyle.StateFlag.State_Enabled else 60)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(outline, 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(QRectF(option.rect).adjusted(0.5, 0.5, -1.5, -1.5), 1.5, 1.5)
        painter.restore()


def apply_theme(app: QApplication, dark: bool | None = None) -> bool:
    """Fusion with our palette (system scheme unless ``dark`` is given). Returns whether it is dark."""
    dark = system_prefers_dark() if dark is None else dark
    if not isinstance(app.style(), ThemeStyle):
        app.setStyle(ThemeStyle())
    app.setPalette(make_palette(dark))
    clear_cache()
    refresh_theme()
    return dark


def saved_theme() -> str:
    """The theme chosen in Preferences: "system", "light" or "dark" (system if unreadable)."""
    from runner.api import SettingsError, load_settings

    try:
        return load_settings().theme
    except SettingsError:
        return "system"


def _refresh_windows(app: QApplication) -> None:
    for widget in app.topLevelWidgets():
        refresh = getattr(widget, "palette_changed", None)
        if callable(refresh):
            refresh()


def apply_theme_choice(theme: str, app: QApplication | None = None) -> bool:
    """Switch to ``theme`` ("system", "light", "dark") now, windows included; returns whether dark."""
    app = app or QApplication.instance()  # type: ignore[assignment]
    assert app is not None
    app.setProperty("pd_theme", theme)
    dark = apply_theme(app, None if theme == "system" else theme == "dark")
    _refresh_windows(app)
    return dark


def follow_system_theme(app: QApplication) -> None:
    """Switch palettes when the system colour scheme changes while the app runs (theme "system")."""
    if getattr(app, "_pd_follows_theme", False):
        return
    app._pd_follows_theme = True  # type: ignore[attr-defined]

    def changed(_scheme: Qt.ColorScheme) -> None:
        if app.property("pd_theme") in (None, "system"):
            apply_theme(app)
            _refresh_windows(app)

    QGuiApplication.styleHints().colorSchemeChanged.connect(changed)
