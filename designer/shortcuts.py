"""Help ▸ Keyboard Shortcuts, and every toolbar button's tooltip naming its shortcut.

The reference is read from the window's own menus, so it lists what the keys really do today
(a shortcut added to an action shows up here without editing this file), plus the canvas's
mouse gestures, which belong to no action.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLineEdit,
    QMenu,
    QToolBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

SHORTCUTS_KEY = "Ctrl+/"
GESTURES = [
    ("Pan the canvas", "Middle-drag, or Space + drag"),
    ("Zoom about the cursor", "Mouse wheel"),
    ("Select several nodes", "Drag on empty canvas, or Ctrl+click"),
    ("Connect two nodes", "Drag from an output port (right) to an input port (left)"),
    ("Add a node", "Drag a step from Steps onto the canvas"),
    ("Edit a step", "Click, double-click or right-click it in Steps"),
    ("Next match in a log", "Enter in the log's search field"),
]


def keys_text(action: QAction) -> str:
    """The action's shortcuts as the platform writes them ("Ctrl+S", "⌘S"), comma separated."""
    native = QKeySequence.SequenceFormat.NativeText
    return ", ".join(k.toString(native) for k in action.shortcuts() if not k.isEmpty())


def shortcut_rows(window: Any) -> list[tuple[str, str, str]]:
    """(menu, what it does, keys) for every menu action with a shortcut, then the canvas gestures."""
    rows: list[tuple[str, str, str]] = []
    seen: set[int] = set()

    def walk(menu: QMenu, group: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), group)
            elif not action.isSeparator() and keys_text(action) and id(action) not in seen:
                seen.add(id(action))
                rows.append((group, action.text().replace("&", "").rstrip("…").strip(), keys_text(action)))

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu(), top.text().replace("&", ""))
    rows += [("Canvas", what, how) for what, how in GESTURES]
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, window: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setWindowTitle("Keyboard Shortcuts")
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter (an action or a key)…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Action", "Shortcut"])
        self.tree.setRootIsDecorated(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(True)
        groups: dict[str, QTreeWidgetItem] = {}
        for group, what, keys in shortcut_rows(window):
            parent_item = groups.get(group)
            if parent_item is None:
                parent_item = groups[group] = QTreeWidgetItem(self.tree, [group])
                parent_item.setFirstColumnSpanned(True)
                font = parent_item.font(0)
                font.setBold(True)
                parent_item.setFont(0, font)
            QTreeWidgetItem(parent_item, [what, keys])
        self.tree.expandAll()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)
        # Wide enough for the longest row of both columns (the canvas gestures are sentences).
        both = sum(self.tree.sizeHintForColumn(c) for c in (0, 1)) + self.tree.indentation() + 80
        self.resize(max(560, both), 640)

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            shown = 0
            for j in range(group.childCount()):
                row = group.child(j)
                hit = not needle or needle in row.text(0).casefold() or needle in row.text(1).casefold()
                row.setHidden(not hit)
                shown += hit
            group.setHidden(shown == 0)


def open_shortcuts(window: Any) -> ShortcutsDialog:
    dialog = ShortcutsDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def shortcuts_action(window: Any) -> QAction:
    action = QAction("&Keyboard Shortcuts…", window)
    action.setShortcut(QKeySequence(SHORTCUTS_KEY))
    action.setStatusTip("Every keyboard shortcut and canvas gesture")
    action.triggered.connect(lambda _checked=False: open_shortcuts(window))
    return action


def _with_keys(action: QAction) -> None:
    keys = keys_text(action)
    tip = action.toolTip()
    if keys and f"({keys})" not in tip:
        action.setToolTip(f"{tip} ({keys})")  # emits changed again: then the keys are there


def show_shortcuts_in_tooltips(window: Any) -> None:
    """Every toolbar button's tooltip ends with its shortcut, also after the tooltip changes."""
    for bar in window.findChildren(QToolBar):
        for action in bar.actions():
            if action.property("pd_tip_keys"):
                continue
            action.setProperty("pd_tip_keys", True)
            _with_keys(action)
            action.changed.connect(lambda a=action: _with_keys(a))


__all__ = [
    "ShortcutsDialog",
    "open_shortcuts",
    "shortcut_rows",
    "shortcuts_action",
    "show_shortcuts_in_tooltips",
]
