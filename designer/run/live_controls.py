"""What a person answers or stops while a run goes on: approvals and endpoints.

- ``ApprovalBanner``: a non-modal amber bar at the top of the window, one row per node awaiting
  approval, with Approve and Reject (so a pause is not missed when the node is scrolled away).
- ``node_menu``: a node's context menu on the canvas (Approve / Reject, Open / Copy endpoint URL,
  Stop endpoints), shown through an event filter on the scene.
- ``LiveControls`` ties them, the strips under the nodes and the "Stop Endpoints" action to the
  run controller; ``RunUI`` creates one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QGraphicsSceneContextMenuEvent,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from designer.bridge.run_controller import RunController
from designer.bridge.run_details import RunDetails
from designer.run.node_strip import StripActions, StripOverlay

WHEN_TEXT = {"node-starting": "before it starts", "node-complete": "before its results go on"}


class ApprovalBanner(QWidget):
    """One row per pending approval; hidden by its tool bar when there is none."""

    def __init__(self, details: RunDetails, actions: StripActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("approval-banner")
        self.setStyleSheet(
            "#approval-banner { background: #fff4d6; border: 1px solid #bf8700; border-radius: 4px; }"
            "#approval-banner QLabel { color: #4d3800; }"
        )
        self.details = details
        self.actions = actions
        self.rows: dict[str, tuple[QLabel, QPushButton, QPushButton]] = {}
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(8, 4, 8, 4)
        self._layout.setSpacing(2)

    def sync(self) -> None:
        pending = {a.node: a for a in self.details.pending_approvals()}
        for node in [n for n in self.rows if n not in pending]:
            label, *_ = self.rows.pop(node)
            row = label.parentWidget()
            self._layout.removeWidget(row)
            row.deleteLater()
        for node, request in pending.items():
            if node in self.rows:
                continue
            row = QWidget(self)
            layout = QHBoxLayout(row)
            layout.setContentsMargins(0, 0, 0, 0)
            reason = f": {request.reason}" if request.reason else ""
            when = WHEN_TEXT.get(request.when, request.when)
            label = QLabel(f"<b>Approval needed:</b> {node} awaits approval {when}{reason}", row)
            approve = QPushButton("Approve", row)
            reject = QPushButton("Reject", row)
            approve.setToolTip(f"Let {node} go on")
            reject.setToolTip(f"Fail {node}; what depends on it is skipped")
            approve.clicked.connect(lambda _c=False, n=node: self.actions.approve(n))
            reject.clicked.connect(lambda _c=False, n=node: self.actions.reject(n))
            layout.addWidget(label, 1)
            layout.addWidget(approve)
            layout.addWidget(reject)
            self._layout.addWidget(row)
            self.rows[node] = (label, approve, reject)

    def buttons(self, node: str) -> tuple[QPushButton, QPushButton]:
        _label, approve, reject = self.rows[node]
        return approve, reject


class LiveControls(QObject):
    def __init__(self, window: Any, controller: RunController, menu: QMenu, toolbar: QToolBar) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller
        details = controller.details
        # Looked up at click time (not bound now), so the controller's methods stay replaceable.
        self.actions = StripActions(
            lambda n: controller.approve(n), lambda n: controller.reject(n), lambda url: self.open_url(url)
        )
        self.strips = StripOverlay(window.scene, details, self.actions, self)
        self.banner = ApprovalBanner(details, self.actions, window)
        self.banner_bar = QToolBar("Approvals", window)
        self.banner_bar.setObjectName("approval-bar")
        self.banner_bar.setMovable(False)
        self.banner_bar.addWidget(self.banner)
        window.addToolBarBreak()
        window.addToolBar(self.banner_bar)
        self.banner_bar.hide()
        self.stop_endpoints_action = QAction("Stop &Endpoints", window)
        self.stop_endpoints_action.setStatusTip("Stop the endpoint containers that runs started")
        self.stop_endpoints_action.triggered.connect(lambda _c=False: controller.stop_endpoints())
        self.stop_endpoints_action.setEnabled(False)
        menu.addAction(self.stop_endpoints_action)
        toolbar.addAction(self.stop_endpoints_action)
        controller.endpoints_up_changed.connect(self.stop_endpoints_action.setEnabled)
        details.node_changed.connect(lambda _n: self._sync_banner())
        details.details_reset.connect(self._sync_banner)
        window.scene.installEventFilter(self)
        # Others' entries of a node's context menu: (node, menu) -> add actions (versioning_ui).
        self.node_menu_entries: list[Callable[[str, QMenu], None]] = []

    def sync(self) -> None:
        """The scene rebuilt its items: re-attach the strips."""
        self.strips.sync()

    def _sync_banner(self) -> None:
        self.banner.sync()
        self.banner_bar.setVisible(bool(self.banner.rows))

    def open_url(self, url: str) -> None:
        QDesktopServices.openUrl(QUrl(url))

    # --- the node's context menu -----------------------------------------------------------------
    def node_menu(self, node: str) -> QMenu | None:
        """The run's choices for ``node`` (None when it has none)."""
        details, ctl = self.controller.details, self.controller
        menu = QMenu(self.window)
        if details.pending(node) is not None:
            menu.addAction("Approve", lambda: self.actions.approve(node))
            menu.addAction("Reject", lambda: self.actions.reject(node))
        endpoint = details.endpoint(node)
        if endpoint is not None and endpoint.url:
            menu.addSeparator()
            open_action = menu.addAction("Open Endpoint URL", lambda: self.actions.open_url(endpoint.url))
            open_action.setEnabled(not endpoint.stopped)
            menu.addAction("Copy Endpoint URL", lambda: QGuiApplication.clipboard().setText(endpoint.url))
        if ctl.endpoints_up:
            menu.addSeparator()
            menu.addAction(self.stop_endpoints_action)
        for add_entries in self.node_menu_entries:
            add_entries(node, menu)
        if menu.isEmpty():
            menu.deleteLater()
            return None
        return menu

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.GraphicsSceneContextMenu or not shiboken6.isValid(obj):
            return False
        assert isinstance(event, QGraphicsSceneContextMenuEvent)
        node = _node_at(obj, event)
        menu = self.node_menu(node) if node else None
        if menu is None:
            return False  # nothing of ours here: the canvas may have its own menu
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.screenPos())
        return True


def _node_at(scene: Any, event: QGraphicsSceneContextMenuEvent) -> str | None:
    items = getattr(scene, "node_items", {})
    by_item = {item: name for name, item in items.items()}
    for item in scene.items(event.scenePos()):
        while item is not None:
            if item in by_item:
                return str(by_item[item])
            item = item.parentItem()
    return None
