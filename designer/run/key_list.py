"""The Metrics dock's Keys list: which numeric keys are plotted, which go on the right-hand axis
(context menu), and what the user unchecked (kept unchecked when more series arrive)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QMenu, QWidget

AUTO_KEYS = 4  # keys checked automatically when a first source appears
_KEY = Qt.ItemDataRole.UserRole + 1


class KeyList(QListWidget):
    # The user checked or unchecked a key, or moved it to another axis
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setToolTip("Numeric metadata keys (right-click: put on the right-hand axis)")
        self.unchecked: set[str] = set()
        self.right_keys: set[str] = set()  # keys on the overlay's right-hand axis
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.itemChanged.connect(self._on_item_changed)

    def _items(self) -> list[QListWidgetItem]:
        return [self.item(i) for i in range(self.count())]

    def keys(self) -> list[str]:
        return [it.data(_KEY) for it in self._items()]

    def checked_keys(self) -> list[str]:
        return [it.data(_KEY) for it in self._items() if it.checkState() == Qt.CheckState.Checked]

    def set_keys(self, keys: list[str]) -> None:
        """Check exactly these keys (without telling ``changed``)."""
        was = self.blockSignals(True)
        for item in self._items():
            on = item.data(_KEY) in keys
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            if not on:
                self.unchecked.add(item.data(_KEY))
        self.blockSignals(was)

    def set_right_axis(self, key: str, on: bool) -> None:
        (self.right_keys.add if on else self.right_keys.discard)(key)
        for item in self._items():
            self._label(item)
        self.changed.emit()

    def sync(self, keys: list[str]) -> None:
        """Offer exactly ``keys``: new ones checked while fewer than AUTO_KEYS are (never one the
        user unchecked, nor an axis key like epoch), and never none checked."""
        for i in reversed(range(self.count())):
            if self.item(i).data(_KEY) not in keys:
                self.takeItem(i)
        present = set(self.keys())
        auto = len(self.checked_keys())
        was = self.blockSignals(True)
        for key in keys:
            if key in present:
                continue
            item = QListWidgetItem(key)
            item.setData(_KEY, key)
            on = auto < AUTO_KEYS and key not in self.unchecked and not is_axis_key(key)
            auto += on
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.addItem(item)
            self._label(item)
        self.sortItems()
        if not self.checked_keys():  # never an empty plot when there is something to show
            for item in self._items():
                if item.data(_KEY) not in self.unchecked and not is_axis_key(item.data(_KEY)):
                    item.setCheckState(Qt.CheckState.Checked)
                    if len(self.checked_keys()) >= AUTO_KEYS:
                        break
        self.blockSignals(was)

    def _label(self, item: QListWidgetItem) -> None:
        key = item.data(_KEY)
        right = key in self.right_keys
        was = self.blockSignals(True)
        item.setText(f"{key}  (right axis)" if right else key)
        font = QFont(item.font())
        font.setItalic(right)
        item.setFont(font)
        self.blockSignals(was)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if item.checkState() != Qt.CheckState.Checked:
            self.unchecked.add(item.data(_KEY))
        else:
            self.unchecked.discard(item.data(_KEY))
        self.changed.emit()

    def _menu(self, pos: QPoint) -> None:
        item = self.itemAt(pos)
        if item is None:
            return
        key = item.data(_KEY)
        menu = QMenu(self)
        action = menu.addAction("Right-hand axis")
        action.setCheckable(True)
        action.setChecked(key in self.right_keys)
        action.toggled.connect(lambda on: self.set_right_axis(key, on))
        menu.exec(self.viewport().mapToGlobal(pos))


def is_axis_key(key: str) -> bool:
    return key.lower() in {"epoch", "step", "iteration", "iter", "batch"}
