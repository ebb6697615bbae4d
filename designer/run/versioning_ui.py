"""What the run UI says about what happened: Reproduce (a run or a node), the Inputs/Outputs
lineage view, and which rule reused a node or made it run again (Inspector and Outputs dock).

Added to ``RunUI`` (designer/run/integration.py) with its public attributes only: the window,
``history``, ``controller``, ``shown_run``, ``menu``, ``live`` (the node context menu),
``runs`` (the Runs browser), ``outputs``, ``home``, ``labels``, ``start_kwargs``, ``warn``,
``notify`` and ``show_run``.
"""

from __future__ import annotations

from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMessageBox

from designer.run.lineage_view import LineageDialog
from runner.api import ReproduceError, RunOptions


class VersioningUI(QObject):
    def __init__(self, run_ui: Any) -> None:
        super().__init__(run_ui)
        self.ui = run_ui
        self.window = run_ui.window
        self.reproduction: Any = None  # the Reproduction running now
        self.results: list[Any] = []  # the last reproduction's checks (runner.execution.reproduce)
        self.lineage: LineageDialog | None = None
        # Showing a reproduction's outcome (tests replace it): (title, text, all identical)
        self.report = self._report_box
        self._build_actions()
        run_ui.live.node_menu_entries.append(self._node_entries)
        run_ui.runs.menu_entries.append(self._runs_entries)
        run_ui.outputs.lineage_requested.connect(self.show_lineage)
        ev = run_ui.controller.events
        ev.run_finished.connect(self._on_run_finished)
        ev.states_changed.connect(lambda _events: self.refresh_note())
        self.window.scene.selectionChanged.connect(self.refresh_note)

    def _build_actions(self) -> None:
        menu = self.ui.menu
        menu.addSeparator()
        self.reproduce_run_action = QAction("Re&produce Run", self.window)
        self.reproduce_run_action.setStatusTip(
            "Run the shown run again from its stored code, inputs and image, and compare the results"
        )
        self.reproduce_run_action.triggered.connect(lambda _c=False: self.reproduce_shown(node=False))
        self.reproduce_node_action = QAction("Reproduce This No&de", self.window)
        self.reproduce_node_action.setStatusTip(
            "Run the selected node's execution again from what was stored, and compare the results"
        )
        self.reproduce_node_action.triggered.connect(lambda _c=False: self.reproduce_shown(node=True))
        self.lineage_action = QAction("Inputs/Outputs &Lineage…", self.window)
        self.lineage_action.setStatusTip(
            "Where the selected node's inputs came from and where its outputs went"
        )
        self.lineage_action.triggered.connect(lambda _c=False: self._lineage_of_selection())
        for action in (self.reproduce_run_action, self.reproduce_node_action, self.lineage_action):
            menu.addAction(action)

    # --- which node, which run ----------------------------------------------------------------------
    def _selected_node(self) -> str | None:
        scene = self.window.scene
        names = scene.selected_node_names() if shiboken6.isValid(scene) else []
        return names[0] if len(names) == 1 else None

    def _execution(self, node: str | None) -> dict[str, Any] | None:
        run = self.ui.shown_run
        if run is None or node is None:
            return None
        return self.ui.history.execution(run, node)  # type: ignore[no-any-return]

    def refresh_note(self) -> None:
        """The Inspector's line about the selected node's last run: which rule decided."""
        inspector = getattr(self.window, "inspector", None)
        if inspector is None or not shiboken6.isValid(inspector):
            return
        row = self._execution(self._selected_node())
        decision = (row or {}).get("decision") or ""
        tip = ""
        if decision:
            tip = f"Run {row['run_id']}" + (
                f", reused execution {row['reused_from']}" if row.get("reused_from") else ""
            )
        inspector.set_run_note(f"<b>Last run:</b> {decision}" if decision else "", tip)

    # --- reproduce ------------------------------------------------------------------------------------
    def reproduce_shown(self, node: bool) -> None:
        run = self.ui.shown_run
        name = self._selected_node() if node else None
        if run is None or (node and name is None):
            self.ui.warn(
                "Reproduce",
                "Show a run first (Runs dock), then select one of its nodes."
                if node
                else "Show a run first (Runs dock).",
            )
            return
        self.reproduce(f"{run}/{name}" if name else run)

    def reproduce(self, target: str) -> bool:
        """Start a reproduction of ``RUN`` or ``RUN/NODE``; its outcome is reported when it ends."""
        if self.ui.controller.busy:
            self.ui.warn("A run is going on", "Cancel it or wait until it ends.")
            return False
        try:
            repro = self.ui.history.reproduction(target)
        except ReproduceError as exc:
            self.ui.warn("Cannot reproduce", str(exc))
            return False
        self.reproduction, self.results = repro, []
        options = repro.options(RunOptions(labels=dict(self.ui.labels)))
        self.ui.controller.start(repro.plan, options, **{"home": self.ui.home, **self.ui.start_kwargs})
        self.window.statusBar().showMessage(f"Reproducing {target} from its stored code and inputs…", 5000)
        return True

    def _on_run_finished(self, event: Any) -> None:
        repro, self.reproduction = self.reproduction, None
        if repro is None:
            return
        self.results = repro.check_in_store(event.run_id, self.ui.home)
        same = bool(self.results) and all(c.identical for c in self.results)
        lines = []
        for c in self.results:
            if c.identical:
                lines.append(f"{c.node}: identical outputs and final metrics")
            else:
                lines.append(f"{c.node}: {c.status}; " + "; ".join(c.differences))
        title = "Reproduced: identical" if same else "Reproduced: results differ"
        text = f"Run {repro.source_run} reproduced as run {event.run_id}.\n\n" + "\n".join(lines)
        self.ui.notify(
            title,
            f"Run {repro.source_run} reproduced as {event.run_id}: {'identical' if same else 'differs'}",
        )
        self.report(title, text, same)

    def _report_box(self, title: str, text: str, same: bool) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Information if same else QMessageBox.Icon.Warning,
            title,
            text,
            parent=self.window,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()

    # --- lineage ----------------------------------------------------------------------------------------
    def _lineage_of_selection(self) -> None:
        row = self._execution(self._selected_node())
        if row is None:
            self.ui.warn("Lineage", "Show a run first (Runs dock), then select one of its nodes.")
            return
        self.show_lineage(row["run_id"], row["node"])

    def show_lineage(self, run_id: str, node: str) -> LineageDialog:
        if self.lineage is not None and shiboken6.isValid(self.lineage):
            self.lineage.close()
        self.lineage = LineageDialog(self.ui.history, run_id, node, self.window)
        self.lineage.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.lineage.execution_requested.connect(lambda run, _node: self.ui.show_run(run))
        self.lineage.show()
        return self.lineage

    # --- context menus ------------------------------------------------------------------------------------
    def _node_entries(self, node: str, menu: QMenu) -> None:
        row = self._execution(node)
        if row is None or self.ui.controller.busy:
            return
        menu.addSeparator()
        menu.addAction("Reproduce This Node", lambda: self.reproduce(f"{row['run_id']}/{node}"))
        menu.addAction("Inputs/Outputs Lineage…", lambda: self.show_lineage(row["run_id"], node))

    def _runs_entries(self, menu: QMenu, ids: list[str]) -> None:
        """The Runs dock's context menu: Reproduce Run, for one selected run."""
        action = menu.addAction("Reproduce Run", lambda: self.reproduce(ids[0]))
        action.setEnabled(len(ids) == 1 and not self.ui.controller.busy)
