"""Drive the real widgets: drop a palette step on the canvas, drag an edge between ports."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from designer.main_window import MainWindow


def palette_item(window: MainWindow, step: str):
    lst = window.palette_panel.list
    for i in range(lst.count()):
        if lst.item(i).text() == step:
            return lst.item(i)
    raise AssertionError(f"step {step!r} not in the palette")


def drop_step(window: MainWindow, step: str, scene_xy: tuple[float, float]) -> None:
    """What a drag from the palette delivers: enter, move and drop events on the canvas."""
    mime = window.palette_panel.list.mimeData([palette_item(window, step)])
    viewport = window.view.viewport()
    pos = QPointF(window.view.mapFromScene(QPointF(*scene_xy)))
    action = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    # Drag enter/move events take an integer QPoint; the drop takes a QPointF.
    enter = QDragEnterEvent(pos.toPoint(), action, mime, buttons, mods)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted(), "the canvas refused the palette drag"
    QApplication.sendEvent(viewport, QDragMoveEvent(pos.toPoint(), action, mime, buttons, mods))
    drop = QDropEvent(pos, action, mime, buttons, mods)
    QApplication.sendEvent(viewport, drop)
    assert drop.isAccepted(), "the canvas refused the drop"


def port_item(window: MainWindow, ref: str, side: str):
    node, type_, key = ref.split(".", 2)
    item = window.scene.node_items[node].port_item(side, type_, key)
    assert item is not None, f"no {side}-port {ref}"
    return item


def drag_edge(window: MainWindow, source: str, target: str) -> None:
    """Press on the source out-port, move over the target in-port, release."""
    viewport = window.view.viewport()
    a, b = port_item(window, source, "out"), port_item(window, target, "in")
    window.view.centerOn((a.scenePos() + b.scenePos()) / 2)
    start, end = window.view.mapFromScene(a.scenePos()), window.view.mapFromScene(b.scenePos())
    assert viewport.rect().contains(start) and viewport.rect().contains(end), "ports not both visible"
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    middle = QPoint((start.x() + end.x()) // 2, (start.y() + end.y()) // 2)
    QTest.mouseMove(viewport, middle)
    QTest.mouseMove(viewport, end)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def drag_node(window: MainWindow, node: str, dx: int, dy: int) -> None:
    viewport = window.view.viewport()
    item = window.scene.node_items[node]
    start = window.view.mapFromScene(item.scenePos() + QPointF(30, 12))
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, 5):
        QTest.mouseMove(viewport, start + QPoint(dx * i // 4, dy * i // 4))
    QTest.mouseRelease(
        viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(dx, dy)
    )
