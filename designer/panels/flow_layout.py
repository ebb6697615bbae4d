"""A row of controls that wraps onto more lines when its dock is narrow (Qt's flow-layout example).

A plain QHBoxLayout makes the sum of its controls the dock's minimum width, and a bottom dock's
minimum adds up across the window: the Metrics and Debugger rows alone made the window wider than
a 1600-px screen. Here the minimum width is the widest single item; the height follows the width.

    row = FlowLayout(widget)
    row.addWidget(group_of_controls)
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLayout, QLayoutItem, QWidget


class FlowLayout(QLayout):
    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._height = 0  # the height of the lines at the last width laid out
        self.setSpacing(spacing)

    # --- QLayout's item list -------------------------------------------------------------------
    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    # --- sizes ---------------------------------------------------------------------------------
    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def sizeHint(self) -> QSize:
        """Everything on one line."""
        shown = self._shown()
        width = sum(i.sizeHint().width() for i in shown) + self.spacing() * max(0, len(shown) - 1)
        height = max((i.sizeHint().height() for i in shown), default=0)
        return QSize(width, height).grownBy(self.contentsMargins())

    def minimumSize(self) -> QSize:
        """The widest item; as tall as the lines take at the present width (a dock does not ask
        heightForWidth, and would cut the last lines off)."""
        size = QSize()
        for item in self._shown():
            size = size.expandedTo(item.minimumSize())
        size = size.grownBy(self.contentsMargins())
        return size.expandedTo(QSize(0, self._height)) if self._height else size

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        height = self._arrange(rect, move=True)
        if height != self._height:  # more or fewer lines: the parents' minimum follows, once
            self._height = height
            self.invalidate()

    # --- placing -------------------------------------------------------------------------------
    def _shown(self) -> list[QLayoutItem]:
        return [i for i in self._items if not (i.widget() is not None and i.widget().isHidden())]

    def _arrange(self, rect: QRect, move: bool) -> int:
        """Place the items in lines within ``rect`` (when ``move``), each centred on its line's
        height; returns the height they take."""
        margins: QMargins = self.contentsMargins()
        area = rect.marginsRemoved(margins)
        lines: list[list[tuple[QLayoutItem, QSize]]] = [[]]
        x = area.x()
        for item in self._shown():
            hint = item.sizeHint()
            if lines[-1] and x + hint.width() > area.right() + 1:  # wrap
                lines.append([])
                x = area.x()
            lines[-1].append((item, hint))
            x += hint.width() + self.spacing()
        y = area.y()
        for line in lines:
            height = max((hint.height() for _item, hint in line), default=0)
            x = area.x()
            for item, hint in line:
                if move:
                    item.setGeometry(QRect(QPoint(x, y + (height - hint.height()) // 2), hint))
                x += hint.width() + self.spacing()
            y += height + self.spacing()
        return y - self.spacing() - rect.y() + margins.bottom()


def control_group(parent: QWidget, *widgets: QWidget, spacing: int = 4) -> QWidget:
    """Widgets that stay together on one line of a FlowLayout (a label and its field)."""
    group = QWidget(parent)
    row = QHBoxLayout(group)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(spacing)
    for widget in widgets:
        row.addWidget(widget)
    return group


__all__ = ["FlowLayout", "control_group"]
