"""The scene: items projected from a ``PipelineView`` plus node positions.

It never edits the document. User intents leave as signals (``moves_finished``,
``edge_requested``, ``step_dropped``, ``delete_requested``) that the editor turns into commands.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPen, QTransform
from PySide6.QtWidgets import (
    QGraphicsScene,
    QGraphicsSceneContextMenuEvent,
    QGraphicsSceneDragDropEvent,
    QGraphicsSceneMouseEvent,
    QMenu,
)

from designer.canvas.edge_drag import EdgeChecker, EdgeDrag
from designer.canvas.edge_item import EdgeItem
from designer.canvas.node_item import NodeItem
from designer.canvas.port_item import PortItem
from designer.canvas.style import GRID, theme
from designer.document.graph_model import PipelineView
from designer.document.model_api import ResolvedEdge

STEP_MIME = "application/x-pipeline-designer-step"
OUT_OF_DATE_OPACITY = 0.45
FAST_EDGES_ABOVE = 150  # more edges than this: draw them as cheap hairlines
EdgeKey = tuple[str, str, int]  # (source, target, occurrence) — duplicates stay distinct


class PipelineScene(QGraphicsScene):
    # Selected nodes were dragged: {name: (old (x, y), new (x, y))}
    moves_finished = Signal(dict)
    # The user dropped an edge that the checker allowed: (source ref, target ref)
    edge_requested = Signal(str, str)
    # A drop was refused; the reason
    edge_refused = Signal(str)
    # A step from the palette was dropped at a scene position
    step_dropped = Signal(str, QPointF)
    # "Add deployment node here" was chosen in the canvas's context menu, at this scene position
    deployment_requested = Signal(QPointF)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[EdgeKey, EdgeItem] = {}
        self.view_model: PipelineView | None = None
        self.edge_checker: EdgeChecker = lambda s, t: None
        self.snap_to_grid = True
        self._drag: EdgeDrag | None = None
        self._press_positions: dict[str, QPointF] = {}
        self.fast_edges = False
        # Run state per node, kept here so a rebuilt item shows it again (runtime, not document).
        self.node_status: dict[str, str] = {}
        self.out_of_date = False  # the items show an older text than the YAML view: dimmed
        self.dragging_nodes = False  # True between press and release of a node drag
        self.interacting = False  # a big graph is being dragged: cheap edge drawing
        # Obstacle index for edge routing (see obstacles_between); None when stale.
        self._rects: np.ndarray | None = None
        self._rect_items: list[NodeItem] = []
        self._rect_row: dict[NodeItem, int] = {}

    # --- projection -------------------------------------------------------------------------
    def show_pipeline(self, view: PipelineView | None, positions: dict[str, tuple[float, float]]) -> None:
        """Make the items match ``view``: add, remove and update only what differs."""
        self.view_model = view
        nodes = view.nodes if view is not None else {}
        gone = [n for n in self.node_items if n not in nodes]
        geometry_changed = bool(gone)
        self._rects = None
        selected = len(self.selectedItems())
        # Qt says selectionChanged once per selected item it removes; the listeners (Inspector,
        # logs, YAML dock) hear it once, after the whole projection.
        blocked = self.blockSignals(True)
        try:
            for name in gone:
                self._remove_node(name)
        finally:
            self.blockSignals(blocked)
        for name, node in nodes.items():
            item = self.node_items.get(name)
            if item is None:
                item = NodeItem(node)
                item.snap_to_grid = self.snap_to_grid
                item.set_status(self.node_status.get(name))
                item.setOpacity(OUT_OF_DATE_OPACITY if self.out_of_date else 1.0)
                self.node_items[name] = item
                self.addItem(item)
                geometry_changed = True
            elif item.node != node:
                self._drop_edges_of(item)
                item.set_node(node)
                geometry_changed = True
            xy = positions.get(name)
            if xy is not None and (item.pos().x(), item.pos().y()) != xy:
                item.setPos(QPointF(*xy))
                geometry_changed = True
        self._rects = None  # positions or sizes may have changed
        self.fast_edges = len(view.edges) > FAST_EDGES_ABOVE if view is not None else False
        new_edges = self._sync_edges(view.edges if view is not None else [])
        for edge in self.edge_items.values() if geometry_changed else new_edges:
            edge.update_path()
        self.setSceneRect(self.itemsBoundingRect().adjusted(-2000, -2000, 2000, 2000))
        if len(self.selectedItems()) != selected:
            self.selectionChanged.emit()

    def clear_all(self) -> None:
        """Drop every item (another pipeline or file is shown next)."""
        self._drag = None
        self._rects = None
        self.node_items.clear()
        self.edge_items.clear()
        self.clear()

    def _sync_edges(self, edges: list[ResolvedEdge]) -> list[EdgeItem]:
        """Add and remove edge items; returns the new ones (not routed yet)."""
        wanted: dict[EdgeKey, ResolvedEdge] = {}
        seen: Counter[tuple[str, str]] = Counter()
        for e in edges:
            k = (e.source, e.target)
            wanted[(e.source, e.target, seen[k])] = e
            seen[k] += 1
        for key in [k for k in self.edge_items if k not in wanted]:
            self._remove_edge(key)
        added: list[EdgeItem] = []
        for key, e in wanted.items():
            item = self.edge_items.get(key)
            if item is not None:
                item.edge = e  # the index may have shifted
                continue
            src_node = self.node_items.get(e.source_node)
            dst_node = self.node_items.get(e.target_node)
            if src_node is None or dst_node is None:
                continue  # an edge naming a missing node: lint reports it
            src = src_node.port_item("out", e.source_type, e.source_key)
            dst = dst_node.port_item("in", e.target_type, e.target_key)
            if src is None or dst is None:
                continue
            item = EdgeItem(e, src, dst)
            item.setOpacity(OUT_OF_DATE_OPACITY if self.out_of_date else 1.0)
            src_node.edges.add(item)
            dst_node.edges.add(item)
            self.edge_items[key] = item
            self.addItem(item)
            added.append(item)
        return added

    def reroute_edges(self) -> None:
        """Recompute every edge's path (nodes moved, so detours around them may change)."""
        for item in self.edge_items.values():
            item.update_path()

    def _drop_edges_of(self, node: NodeItem) -> None:
        for key in [k for k, e in self.edge_items.items() if e in node.edges]:
            self._remove_edge(key)

    def _remove_node(self, name: str) -> None:
        item = self.node_items.pop(name)
        self._drop_edges_of(item)
        self.removeItem(item)

    def _remove_edge(self, key: EdgeKey) -> None:
        item = self.edge_items.pop(key)
        for node in self.node_items.values():
            node.edges.discard(item)
        self.removeItem(item)

    def obstacles_between(self, a: QPointF, b: QPointF, exclude: tuple[object, ...]) -> list[QRectF]:
        """Rects of nodes an edge from ``a`` to ``b`` would pass behind (for routing around them)."""
        if b.x() - a.x() < 60:
            return []
        items, rects = self._node_rects()
        if not items:
            return []
        x1, x2 = a.x() + 12, b.x() - 12
        y1, y2 = min(a.y(), b.y()) - 14, max(a.y(), b.y()) + 14
        hit = (rects[:, 0] < x2) & (rects[:, 2] > x1) & (rects[:, 1] < y2) & (rects[:, 3] > y1)
        return [
            QRectF(QPointF(r[0], r[1]), QPointF(r[2], r[3]))
            for i in np.flatnonzero(hit)
            if items[i] not in exclude
            for r in (rects[i],)
        ]

    def _node_rects(self) -> tuple[list[NodeItem], np.ndarray]:
        """Node rectangles as an (n, 4) array of x1, y1, x2, y2; rebuilt only when stale."""
        if self._rects is None:
            items = list(self.node_items.values())
            rects = np.empty((len(items), 4))
            for i, item in enumerate(items):
                r = item.sceneBoundingRect()
                rects[i] = (r.left(), r.top(), r.right(), r.bottom())
            self._rect_items, self._rects = items, rects
            self._rect_row = {item: i for i, item in enumerate(items)}
        return self._rect_items, self._rects

    def node_moved(self, item: NodeItem) -> None:
        """Keep the obstacle index current while a node is dragged (one row, not a rebuild)."""
        row = self._rect_row.get(item) if self._rects is not None else None
        if row is not None and self._rects is not None:
            r = item.sceneBoundingRect()
            self._rects[row] = (r.left(), r.top(), r.right(), r.bottom())

    def set_node_status(self, name: str, status: str | None) -> None:
        """Show a node's run state; ``None`` clears it."""
        if status is None:
            self.node_status.pop(name, None)
        else:
            self.node_status[name] = status
        item = self.node_items.get(name)
        if item is not None:
            item.set_status(status)

    def clear_node_status(self) -> None:
        for name in list(self.node_status):
            self.set_node_status(name, None)

    def set_out_of_date(self, on: bool) -> None:
        """Dim every item while the YAML view holds a text that does not parse."""
        self.out_of_date = on
        for item in (*self.node_items.values(), *self.edge_items.values()):
            item.setOpacity(OUT_OF_DATE_OPACITY if on else 1.0)

    def set_snap_to_grid(self, on: bool) -> None:
        self.snap_to_grid = on
        for item in self.node_items.values():
            item.snap_to_grid = on

    # --- queries ----------------------------------------------------------------------------
    def selected_node_names(self) -> list[str]:
        return [i.name for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_edges(self) -> list[ResolvedEdge]:
        return [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_node(self, name: str) -> None:
        self.clearSelection()
        item = self.node_items.get(name)
        if item is not None:
            item.setSelected(True)

    def select_edge(self, index: int) -> None:
        self.clearSelection()
        for item in self.edge_items.values():
            if item.edge.index == index:
                item.setSelected(True)

    # --- interactions -----------------------------------------------------------------------
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            for item in self.items(event.scenePos()):
                if isinstance(item, PortItem) and item.port.side == "out":
                    self._drag = EdgeDrag(self, item, self.edge_checker)
                    event.accept()
                    return
                if isinstance(item, PortItem | NodeItem | EdgeItem):
                    break
        super().mousePressEvent(event)
        self.dragging_nodes = event.button() == Qt.MouseButton.LeftButton
        self._press_positions = {i.name: i.pos() for i in self.selectedItems() if isinstance(i, NodeItem)}

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag is not None:
            self._drag.move_to(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)
        if self.dragging_nodes and self._press_positions:
            self._follow_dragged_nodes()

    def _follow_dragged_nodes(self) -> None:
        """After Qt moved the selected nodes: snap them and bring their edges along."""
        self.interacting = self.fast_edges
        for name in self._press_positions:
            item = self.node_items.get(name)
            if item is None:
                continue
            if self.snap_to_grid:
                p = item.pos()
                snapped = QPointF(round(p.x() / GRID) * GRID, round(p.y() / GRID) * GRID)
                if snapped != p:
                    item.setPos(snapped)
            self.node_moved(item)
            for edge in item.edges:
                edge.update_path()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag is not None:
            drag, self._drag = self._drag, None
            result = drag.finish(event.scenePos(), QPointF(event.screenPos()))
            if result is not None:
                self.edge_requested.emit(*result)
            event.accept()
            return
        super().mouseReleaseEvent(event)
        self.dragging_nodes = False
        if self.interacting:
            self.interacting = False
            self.update()  # one smooth repaint of what was drawn fast
        self._emit_moves()

    def _emit_moves(self) -> None:
        moves: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {}
        for name, old in self._press_positions.items():
            item = self.node_items.get(name)
            if item is not None and item.pos() != old:
                moves[name] = ((old.x(), old.y()), (item.pos().x(), item.pos().y()))
        self._press_positions = {}
        if moves:
            self.reroute_edges()
            self.moves_finished.emit(moves)

    def dragEnterEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        event.setAccepted(event.mimeData().hasFormat(STEP_MIME))

    def dragMoveEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        event.setAccepted(event.mimeData().hasFormat(STEP_MIME))

    def dropEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        if event.mimeData().hasFormat(STEP_MIME):
            step = bytes(event.mimeData().data(STEP_MIME).data()).decode("utf-8")
            self.step_dropped.emit(step, event.scenePos())
            event.acceptProposedAction()

    # --- the empty canvas's context menu --------------------------------------------------
    def background_menu(self, pos: QPointF) -> QMenu | None:
        """The menu of the empty canvas at ``pos`` (None over an item or without a pipeline)."""
        if self.view_model is None or self.itemAt(pos, QTransform()) is not None:
            return None
        menu = QMenu()
        menu.addAction("Add deployment node here", lambda: self.deployment_requested.emit(QPointF(pos)))
        return menu

    def contextMenuEvent(self, event: QGraphicsSceneContextMenuEvent) -> None:
        super().contextMenuEvent(event)  # items first
        menu = None if event.isAccepted() else self.background_menu(event.scenePos())
        if menu is not None:
            menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            menu.popup(event.screenPos())
            event.accept()

    # --- background -------------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        t = theme()
        painter.fillRect(rect, t.background)
        scale = painter.worldTransform().m11()
        step = GRID if scale > 0.6 else GRID * 5
        left = math.floor(rect.left() / step) * step
        top = math.floor(rect.top() / step) * step
        minor = QPen(t.grid_minor, 0)
        major = QPen(t.grid_major, 0)
        x = left
        while x < rect.right():
            painter.setPen(major if round(x / step) % 5 == 0 else minor)
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
            x += step
        y = top
        while y < rect.bottom():
            painter.setPen(major if round(y / step) % 5 == 0 else minor)
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            y += step
