"""Preferences: image mapping, container network, default run target, theme.

The values are the runner's saved settings (``runner.api.load_settings``), the same file the
command line reads, so ``pipeline-designer run`` on this machine uses what is set here. Applying
takes effect at once: the theme is switched, and the next run reads the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyledItemDelegate,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.background import in_background
from designer.panels.form_fields import problem_label, table_with_buttons
from designer.run.run_dialog import registered_hosts
from designer.theme import apply_theme_choice
from runner.api import (
    THEMES,
    Settings,
    SettingsError,
    engine_inventory,
    load_settings,
    save_settings,
    settings_path,
)

DEFAULT_NETWORK = "(the engine's default)"
THEME_LABELS = {"system": "Follow the system", "light": "Light", "dark": "Dark"}


class _LocalImageDelegate(QStyledItemDelegate):
    """Edits a "local image" cell with the engine's image tags as completions."""

    def __init__(self, images: list[str], parent: QWidget) -> None:
        super().__init__(parent)
        self.images = images  # filled in when the engine answers

    def createEditor(self, parent: QWidget, option: Any, index: Any) -> QWidget:
        editor = QLineEdit(parent)
        completer = QCompleter(self.images, editor)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        editor.setCompleter(completer)
        return editor


class PreferencesDialog(QDialog):
    # The settings were saved (the Settings written)
    applied = Signal(object)

    def __init__(self, window: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setWindowTitle("Preferences")
        self.setObjectName("preferences")
        self.window_ = window
        self.problem = problem_label(self)
        try:
            self.loaded = load_settings()
        except SettingsError as exc:  # start from the defaults; saving replaces the broken file
            self.loaded = Settings()
            self.problem.setText(f"{exc}\nThe defaults are shown; OK or Apply replaces the file.")
            self.problem.show()
        layout = QVBoxLayout(self)
        layout.addWidget(self._runs_box())
        layout.addWidget(self._appearance_box())
        saved_in = _home_relative(settings_path())
        where = QLabel(f"Saved in {saved_in} — <code>pipeline-designer settings</code> uses it too.", self)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where.setStyleSheet("color: palette(placeholder-text)")
        where.setWordWrap(True)
        layout.addWidget(where)
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.Apply
            | QDialogButtonBox.StandardButton.RestoreDefaults,
            self,
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            lambda: self.show_settings(Settings())
        )
        layout.addWidget(self.buttons)
        self.show_settings(self.loaded)
        self.resize(640, 520)
        in_background(engine_inventory, self._fill_inventory, "engine-inventory")

    # --- building -------------------------------------------------------------------------------
    def _runs_box(self) -> QGroupBox:
        box = QGroupBox("Runs", self)
        self.images = QTableWidget(0, 2, box)
        self.images.setHorizontalHeaderLabels(["Image in valohai.yaml", "Run this local image instead"])
        self.images.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.images.verticalHeader().setVisible(False)
        self.images.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.images.setMinimumHeight(150)
        self.local_images: list[str] = []
        self.images.setItemDelegateForColumn(1, _LocalImageDelegate(self.local_images, self.images))
        row, (self.add_image, self.remove_image) = table_with_buttons(
            box, self.images, [("Add", self.add_mapping), ("Remove", self._remove_selected)]
        )
        self.network = QComboBox(box)
        self.network.setEditable(True)
        self.network.addItems([DEFAULT_NETWORK, "none", "bridge"])
        self.network.setToolTip(
            "The network containers join. 'none': no network at all (steps that download nothing); "
            "empty or the engine's default: its bridge."
        )
        self.target = QComboBox(box)
        self.target.setEditable(True)
        self.target.addItems(["local", *registered_hosts()])
        self.target.setToolTip(
            "Where runs go unless the Run dialog says otherwise: local, a host, or HOST1,HOST2"
        )
        hint = QLabel(
            "A step naming an image from a registry runs the local image instead: no registry needed.", box
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(placeholder-text)")
        form = QFormLayout(box)
        form.addRow(QLabel("<b>Image mapping</b>", box))
        form.addRow(hint)
        form.addRow(row)
        form.addRow("Container network", self.network)
        form.addRow("Default run target", self.target)
        return box

    def _appearance_box(self) -> QGroupBox:
        box = QGroupBox("Appearance", self)
        self.theme = QComboBox(box)
        for key in THEMES:
            self.theme.addItem(THEME_LABELS[key], key)
        form = QFormLayout(box)
        form.addRow("Theme", self.theme)
        return box

    def _fill_inventory(self, found: Any) -> None:
        """The engine's images and networks, as completions (nothing when it does not answer)."""
        if not shiboken6.isValid(self) or isinstance(found, Exception):
            return
        tags, networks = found
        self.local_images[:] = tags
        for name in networks:
            if self.network.findText(name) < 0:
                self.network.addItem(name)

    # --- values ---------------------------------------------------------------------------------
    def show_settings(self, settings: Settings) -> None:
        self.images.setRowCount(0)
        for source, target in sorted(settings.image_map.items()):
            self._append_row(source, target)
        self.network.setCurrentText(settings.network or DEFAULT_NETWORK)
        self.target.setCurrentText(settings.run_target)
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.theme)))

    def _append_row(self, source: str, target: str) -> int:
        row = self.images.rowCount()
        self.images.insertRow(row)
        self.images.setItem(row, 0, QTableWidgetItem(source))
        self.images.setItem(row, 1, QTableWidgetItem(target))
        return row

    def add_mapping(self, source: str = "", target: str = "") -> None:
        """A new row (``source`` filled in when a run missed that image); editing its empty cell."""
        existing = [self.images.item(r, 0).text() for r in range(self.images.rowCount())]
        row = existing.index(source) if source and source in existing else self._append_row(source, target)
        column = 1 if source else 0
        self.images.setCurrentCell(row, column)
        self.images.editItem(self.images.item(row, column))

    def _remove_selected(self) -> None:
        for row in sorted({i.row() for i in self.images.selectedIndexes()}, reverse=True):
            self.images.removeRow(row)

    def settings(self) -> Settings:
        """What the dialog shows, as Settings (rows with an empty side are left out)."""
        image_map: dict[str, str] = {}
        for r in range(self.images.rowCount()):
            source, target = (
                self.images.item(r, c).text().strip() if self.images.item(r, c) else "" for c in (0, 1)
            )
            if source and target:
                image_map[source] = target
        network = self.network.currentText().strip()
        return Settings(
            image_map=image_map,
            network=None if network in ("", DEFAULT_NETWORK) else network,
            run_target=self.target.currentText().strip() or "local",
            theme=str(self.theme.currentData()),
            resident_runner=self.loaded.resident_runner,  # set on the command line; kept as it is
        )

    def apply(self) -> bool:
        """Check, save and put into effect; a refused value is shown and nothing is written."""
        settings = self.settings()
        try:
            save_settings(settings)
        except (SettingsError, OSError) as exc:
            self.problem.setText(str(exc))
            self.problem.show()
            return False
        self.problem.hide()
        if settings.run_target != self.loaded.run_target:
            self.window_.settings.remove("run/target")  # the Run dialog's last choice gives way to it
        apply_theme_choice(settings.theme)
        self.loaded = settings
        self.applied.emit(settings)
        return True

    def accept(self) -> None:
        if self.apply():
            super().accept()


def _home_relative(path: Path) -> str:
    """``~/.config/pipeline-designer/settings.json`` rather than the whole home folder."""
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def open_preferences(window: Any, map_image: str | None = None) -> PreferencesDialog:
    """Show Preferences (one at a time); ``map_image``: start a mapping row for this image."""
    dialog = getattr(window, "preferences_dialog", None)
    if dialog is None or not shiboken6.isValid(dialog):
        dialog = PreferencesDialog(window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.preferences_dialog = dialog
    dialog.show()
    dialog.raise_()
    if map_image:
        dialog.add_mapping(map_image)
    return dialog


def preferences_action(window: Any) -> QAction:
    """Edit ▸ Preferences… with the platform's shortcut (Ctrl+,), in the app menu on macOS."""
    action = QAction("Pre&ferences…", window)
    keys = [k for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences) if not k.isEmpty()]
    action.setShortcuts(keys or [QKeySequence("Ctrl+,")])
    action.setMenuRole(QAction.MenuRole.PreferencesRole)
    action.setStatusTip("Image mapping, container network, default run target, theme")
    action.triggered.connect(lambda _checked=False: open_preferences(window))
    return action


__all__ = ["PreferencesDialog", "open_preferences", "preferences_action"]
