"""Items drawn on a node of the canvas (status badges, task strips) that follow its item.

The scene redraws a node as a new item after an edit and drops all items when it is cleared;
an overlay is a child of the node's item, so it must be made again on the new one.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TypeVar

import shiboken6
from PySide6.QtWidgets import QGraphicsItem

T = TypeVar("T", bound=QGraphicsItem)


def attach_to_nodes(
    attached: dict[str, T],
    wanted: Collection[str],
    items: dict[str, QGraphicsItem],
    make: Callable[[QGraphicsItem], T],
) -> list[tuple[str, T]]:
    """One overlay in ``attached`` per wanted node that is on the canvas (``items``), a child of
    its current item: those of nodes gone or redrawn are dropped, the missing are made."""
    for name in list(attached):
        overlay = attached[name]
        if not shiboken6.isValid(overlay):  # the scene was cleared: its items are gone
            del attached[name]
        elif name not in wanted or items.get(name) is not overlay.parentItem():
            del attached[name]
            if overlay.scene() is not None:
                overlay.scene().removeItem(overlay)
    shown = []
    for name in wanted:
        item = items.get(name)
        if item is not None:
            overlay = attached.get(name)
            if overlay is None:
                overlay = attached[name] = make(item)
            shown.append((name, overlay))
    return shown
