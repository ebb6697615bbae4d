"""``attach_run_ui(window)``: the run side of the designer, added to its main window.

Adds the Logs, Metrics, Outputs and Runs docks, a Run menu and toolbar (Run pipeline, Run this
node, Run from here, Re-run failed, Cancel, Hosts…), node badges on the canvas, a progress bar in
the status bar and a tray message when a run ends while the window is inactive. It uses only the
window's public attributes: ``document``, ``scene``, ``current_pipeline``, ``settings``,
``show_pipeline`` and (when present) ``problems_dock`` and ``inspector_dock``. What each run gets
(target, image map, network) is designer/run/run_settings.py's.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QMainWindow,
    QMessageBox,
    QToolBar,
    QWidget,
)

from designer.bridge.file_runs import FileRuns, file_key
from designer.bridge.history import RunHistory
from designer.bridge.run_controller import RunController
from designer.run.compare_dialog import CompareDialog
from designer.run.earlier_results import earlier_results
from designer.run.failures import FailureFinder
from designer.run.file_scope import FileScope
from designer.run.hosts_dialog import HostsDialog
from designer.run.live_controls import LiveControls
from designer.run.logs_panel import LogsPanel
from designer.run.metrics_dock import MetricsPanel
from designer.run.outputs_panel import OutputsPanel
from designer.run.run_commands import RunCommands
from designer.run.run_icons import run_icon
from designer.run.run_notices import RunNotices
from designer.run.run_settings import run_target, start_arguments
from designer.run.runs_browser import RunsBrowser, param_diff
from designer.run.status_badge import BadgeOverlay
from designer.run.task_views import TaskViews
from designer.run.triggers_dialog import open_triggers_dialog
from runner.api import RunPlan, SettingsError, data_dir
from runner.events import TERMINAL_STATUSES


class RunUI(RunCommands, TaskViews, FileScope, QObject):
    def __init__(self, window: QMainWindow, home: Path | None = None) -> None:
        super().__init__(window)
        self.window: Any = window
        self.home = home
        self.history = RunHistory(home)
        self.controller = RunController(self)
        # What each run gets besides the saved settings (read at each start); tests adjust these.
        self.image_map: dict[str, str] = {}  # over the settings' map and env PIPELINE_DESIGNER_IMAGE_MAP
        self.labels: dict[str, str] = {}
        self.last_image_map: dict[str, str] = {}  # the image map of the last run started
        self.reuse = True
        self.start_kwargs: dict[str, Any] = {}
        self.debug_nodes: tuple[str, ...] = ()  # the next run's nodes waiting for a debugger
        self.capture_locals = False  # Run ▸ Capture Locals on Failure (designer/debug/debug_ui.py)
        self.pause_before: set[str] = set()  # Run ▸ Pause Before This Node: run-time breakpoints
        self.debug_pycharm: Any = None  # the next run's debug_nodes use PyCharm (a debug.PyCharmTarget)
        # Prompts (tests replace them): ask(title, text) -> yes?, warn(title, text)
        self.ask: Callable[[str, str], bool] = self._ask_box
        self.warn: Callable[[str, str], None] = lambda t, m: QMessageBox.warning(self.window, t, m)
        self.file_runs = FileRuns()
        self._file = file_key(window.document.path)  # type: ignore[attr-defined]
        self._run_file: str | None = None
        self.compare_dialog: CompareDialog | None = None
        self.hosts_dialog: HostsDialog | None = None
        self._build_panels()
        self._build_actions()
        self.notices = RunNotices(window, self)  # progress bar, status messages, tray
        self.progress, self.notifications = self.notices.progress, self.notices.sent
        self._closed = False
        self.badges = BadgeOverlay(window.scene, self.controller.states, self)
        self.failures = FailureFinder(
            window, self.controller.states, self.logs, self.history, self.badges, lambda t, m: self.ask(t, m)
        )
        self.failures.install(self.controller.events, self.toolbar, self.menu, self.hosts_action)
        self.live = LiveControls(window, self.controller, self.menu, self.toolbar)
        self._connect()

    # --- construction ---------------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.window.addDockWidget(area, dock)
        return dock

    def _build_panels(self) -> None:
        w = self.window
        self.logs = LogsPanel(w)
        self.metrics = MetricsPanel(w)
        self.outputs = OutputsPanel(self.history, w)
        self.runs = RunsBrowser(self.history, w)
        self.runs.set_file(self._file)
        bottom, right = Qt.DockWidgetArea.BottomDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.logs_dock = self._dock("Logs", "run-logs", self.logs, bottom)
        self.metrics_dock = self._dock("Metrics", "run-metrics", self.metrics, bottom)
        self.runs_dock = self._dock("Runs", "run-runs", self.runs, bottom)
        self.outputs_dock = self._dock("Outputs", "run-outputs", self.outputs, right)
        w.splitDockWidget(self.logs_dock, self.metrics_dock, Qt.Orientation.Horizontal)
        problems = getattr(w, "problems_dock", None)
        if isinstance(problems, QDockWidget):
            w.tabifyDockWidget(problems, self.logs_dock)
        w.tabifyDockWidget(self.logs_dock, self.runs_dock)
        self.logs_dock.raise_()
        inspector = getattr(w, "inspector_dock", None)
        if isinstance(inspector, QDockWidget):
            w.tabifyDockWidget(inspector, self.outputs_dock)
            inspector.raise_()
        w.resizeDocks([self.logs_dock], [260], Qt.Orientation.Vertical)

    def _build_actions(self) -> None:
        def make(text: str, kind: str, tip: str, slot: Callable[[], Any], key: str | None = None) -> QAction:
            action = QAction(run_icon(kind), text, self.window)
            action.setToolTip(tip)
            action.setStatusTip(tip)
            if key:
                action.setShortcut(QKeySequence(key))
            action.triggered.connect(lambda _checked=False: slot())
            return action

        self.run_action = make("&Run Pipeline…", "run", "Run the pipeline", self.run_pipeline, "F5")
        self.run_node_action = make(
            "Run This &Node",
            "node",
            "Run the selected node with its upstream's latest outputs",
            self.run_node,
            "Ctrl+F5",
        )
        self.run_from_action = make(
            "Run &From Here", "from", "Run the selected node and everything downstream", self.run_from_here
        )
        self.rerun_action = make(
            "Re-run &Failed", "rerun", "Run the failed, skipped and cancelled nodes again", self.rerun_failed
        )
        self.cancel_action = make("&Cancel Run", "cancel", "Stop the run", self.cancel, "Shift+F5")
        actions = [self.run_action, self.run_node_action, self.run_from_action, self.rerun_action]
        bar = QToolBar("Run", self.window)
        bar.setObjectName("run-toolbar")
        bar.setMovable(False)
        bar.addActions([*actions, self.cancel_action])
        self.window.addToolBar(bar)
        self.toolbar = bar
        menu = self.window.menuBar().addMenu("&Run")
        menu.addActions(actions)
        menu.addSeparator()
        menu.addAction(self.cancel_action)
        menu.addSeparator()
        self.hosts_action = QAction("&Hosts…", self.window)
        self.hosts_action.setStatusTip("Remote Docker hosts: add, test, trust their keys")
        self.hosts_action.triggered.connect(lambda _checked=False: self.show_hosts())
        menu.addAction(self.hosts_action)
        self.triggers_action = QAction("&Triggers…", self.window)
        self.triggers_action.setStatusTip("Re-training triggers saved for this file (watch command)")
        self.triggers_action.triggered.connect(
            lambda _checked=False: open_triggers_dialog(
                self.window, self.window.document.path, self.window.current_pipeline
            )
        )
        menu.addAction(self.triggers_action)
        menu.addSeparator()
        for dock in (self.logs_dock, self.metrics_dock, self.outputs_dock, self.runs_dock):
            menu.addAction(dock.toggleViewAction())
        self.menu = menu
        self._update_actions()

    def _connect(self) -> None:
        ev, ctl = self.controller.events, self.controller
        ev.run_started.connect(self._on_run_started)
        ev.logs_arrived.connect(self.logs.add_lines)
        ev.records_arrived.connect(self._on_records)
        ev.system_sampled.connect(self._on_system)
        ev.states_changed.connect(self._on_states)
        ev.run_finished.connect(self._on_run_finished)
        ev.run_failed.connect(self._on_run_failed)
        ev.action_failed.connect(lambda msg: self.warn("Run", msg))
        ev.approvals_changed.connect(self._on_approvals)
        ev.tasks_changed.connect(self._on_task_events)
        ev.child_states_changed.connect(self._on_task_events)
        self.metrics.label_for = lambda _run, node, k: self.controller.details.child_label(node, k)
        self.logs.execution_picked.connect(self._load_execution_log)
        ctl.busy_changed.connect(lambda _b: self._update_actions())
        self.window.scene.selectionChanged.connect(self._on_selection)
        # Badges re-attach as soon as the scene rebuilds its items after an edit or a switch.
        self._resync = QTimer(self, singleShot=True, interval=0)
        self._resync.timeout.connect(self.badges.sync)
        self._resync.timeout.connect(self.live.sync)
        doc = self.window.document
        for signal in (doc.reset, doc.pipelines_changed, doc.node_added, doc.node_removed, doc.node_changed):
            signal.connect(self._resync.start)
        doc.path_changed.connect(self._follow_file)
        self.runs_dock.visibilityChanged.connect(lambda shown: shown and self.runs.refresh())
        self.runs.run_selected.connect(self.show_run)
        self.runs.compare_requested.connect(self.compare_runs)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self.window.installEventFilter(self)

    def _start(self, plan: RunPlan) -> bool:
        if self.controller.busy:
            self.warn("A run is going on", "Cancel it or wait until it ends.")
            return False
        try:
            options, kwargs = start_arguments(self)
        except SettingsError as exc:
            self.warn(
                "Preferences cannot be read", f"{exc}\n\nFix it in Edit ▸ Preferences (OK rewrites the file)."
            )
            return False
        self.last_image_map, self.debug_nodes, self.debug_pycharm = dict(options.image_map), (), None
        self.metrics.show_only(set())  # the new run's series get checked as they appear
        self.logs_dock.raise_()
        self._run_file = self._file
        self.controller.start(plan, options, **kwargs)
        self.progress.setRange(0, len(plan.nodes))
        self.progress.setValue(0)
        self.progress.show()
        return True

    def _on_run_failed(self, message: str) -> None:
        if self.controller.states.run_id is None:  # it never started: no node is queued any more
            self.controller.states.reset(None)
            self.progress.hide()
        self.warn("Run failed to start", message)

    def cancel(self) -> None:
        """Stop the run, and the endpoints it (or an earlier run) started."""
        self.controller.cancel()
        self.controller.stop_endpoints()

    def target_hosts(self) -> list[str]:
        """Where runs go: the Run dialog's last choice, else Preferences' default (``["local"]``)."""
        return run_target(self.window.settings)

    def show_hosts(self) -> HostsDialog:
        """Run ▸ Hosts…: the host registry (non-modal; one at a time)."""
        if self.hosts_dialog is None or not shiboken6.isValid(self.hosts_dialog):
            self.hosts_dialog = HostsDialog(self.window)
        self.hosts_dialog.refresh()
        self.hosts_dialog.show()
        self.hosts_dialog.raise_()
        return self.hosts_dialog

    # --- run events -----------------------------------------------------------------------------
    def _on_run_started(self, run_id: str, nodes: tuple[str, ...]) -> None:
        self.file_runs.started(run_id, self._run_file or self._file)
        self._on_selection()
        count = f"{len(nodes)} node" + ("" if len(nodes) == 1 else "s")
        self.window.statusBar().showMessage(f"Run {run_id} started ({count})", 5000)
        # A partial run: the nodes it leaves out show their last result, and whether it is out of date.
        self.controller.states.set_earlier(
            earlier_results(self.history, self.window, run_id, nodes, self.last_image_map)
        )

    def _on_records(self, events: list[Any]) -> None:
        events = [e for e in events if self.is_here(e.run_id)]
        if not events:
            return  # another file's run: its file loads them from the store when shown again
        scene = self.window.scene
        names = scene.selected_node_names() if shiboken6.isValid(scene) else []
        self.metrics.add_records(events, focus=names[0] if len(names) == 1 else None)

    def _on_system(self, events: list[Any]) -> None:
        events = [e for e in events if self.is_here(e.run_id)]
        if events:
            names = self.window.scene.selected_node_names() if shiboken6.isValid(self.window.scene) else []
            self.metrics.add_system(events, focus=names[0] if len(names) == 1 else None)

    def _on_states(self, events: list[Any]) -> None:
        if not any(self.is_here(e.run_id) for e in events):
            return
        self._update_progress()
        names = self.window.scene.selected_node_names() if shiboken6.isValid(self.window.scene) else []
        if any(e.node in names and e.status in TERMINAL_STATUSES for e in events):
            self._on_selection()  # its outputs are in the store now

    def _update_progress(self) -> None:
        done, total = self.controller.states.progress()
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _on_run_finished(self, event: Any) -> None:
        if self.is_here(event.run_id):
            self._update_progress()
        counts: dict[str, int] = {}
        for status in event.node_statuses.values():
            counts[status] = counts.get(status, 0) + 1
        detail = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        self.notify(f"Run {event.status}", f"Run {event.run_id}: {event.status} ({detail})")
        self.runs.refresh()
        self._on_selection()
        self._update_actions()
        QTimer.singleShot(0, self.failures.offer_image_map)  # a missing image: offer to map it
        # Staged upstream outputs were copied into the artifact store when the run prepared them.
        shutil.rmtree((self.home or data_dir()) / "staging", ignore_errors=True)

    def notify(self, title: str, text: str) -> None:
        self.notices.notify(title, text)

    # --- selection and history --------------------------------------------------------------------
    def _on_selection(self) -> None:
        if self._closed or not shiboken6.isValid(self.window.scene):
            return  # the window is going away (the scene clears its selection as it is deleted)
        names = self.window.scene.selected_node_names()
        node = names[0] if len(names) == 1 else None
        run = self.shown_run
        if node is None:
            self.logs.show_log(None, None)
            return
        if run is None:
            return
        task = self.controller.details.is_task(node) and self.controller.details.run_id == run
        if task and not self._live(run) and (run, node) not in self.logs.logs:
            self._load_task_logs(run, node)
        self._load_execution_log(run, node)
        self.logs.show_log(run, node)
        self._sync_task(run, node if task else None, full=True)
        if not task and (run, node) in self.metrics.sources:
            self.metrics.show_only({(run, node)})
        self.outputs.show_execution(self.history.execution(run, node))

    def show_run(self, run_id: str) -> None:
        """Re-colour the canvas with a past run's states and load its logs and metrics."""
        if self.controller.busy:
            self.warn("A run is going on", "Past runs can be shown once it ends.")
            return
        run = self.history.run(run_id)
        if run is None:
            self.warn("No such run", run_id)
            return
        if not self._open_file_of(run):
            return
        if run.get("pipeline") and run["pipeline"] in self.window.document.pipeline_names():
            self.window.show_pipeline(run["pipeline"])
        self._display_run(run_id)
        self.failures.show_past_run(run_id)

    def compare_runs(self, a: str, b: str) -> None:
        ea, eb = self.history.executions(a), self.history.executions(b)
        self._load_metrics(a, ea)
        self._load_metrics(b, eb)
        self.metrics.show_only({(r, e["node"]) for r, ex in ((a, ea), (b, eb)) for e in ex})
        self.compare_dialog = CompareDialog(a, b, param_diff(ea, eb), self.window, self.history.compare(a, b))
        self.compare_dialog.show()
        self.metrics_dock.raise_()

    # --- state and shutdown -------------------------------------------------------------------------
    def _update_actions(self) -> None:
        busy = self.controller.busy
        for action in (self.run_action, self.run_node_action, self.run_from_action, self.rerun_action):
            action.setEnabled(not busy)
        self.cancel_action.setEnabled(busy)

    def _ask_box(self, title: str, text: str) -> bool:
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        return QMessageBox.question(self.window, title, text, buttons) == QMessageBox.StandardButton.Yes

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.window and event.type() == QEvent.Type.Close:
            # The window's own closeEvent may still refuse; check once it has decided.
            QTimer.singleShot(0, lambda: None if self.window.isVisible() else self.shutdown())
        return False

    def shutdown(self) -> None:
        """Cancel a run, stop timers and clear plots (docs/architecture.md "Shutdown"); safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self.controller.shutdown()
        self.badges.stop()
        self.metrics.shutdown()
        if self.compare_dialog is not None:
            self.compare_dialog.close()
        self.notices.stop()


def attach_run_ui(window: QMainWindow, home: Path | None = None) -> RunUI:
    """Add the run UI to ``window``; ``home`` overrides the data folder (tests use a tmp dir)."""
    from designer.debug.debug_ui import DebugUI
    from designer.run.versioning_ui import VersioningUI

    ui = RunUI(window, home)
    window.run_ui = ui  # type: ignore[attr-defined]  (keeps it alive with the window)
    ui.debug_ui = DebugUI(ui)  # type: ignore[attr-defined]  (shell, failure view, debugger prompt)
    ui.versioning_ui = VersioningUI(ui)  # type: ignore[attr-defined]  (reproduce, lineage, reuse reasons)
    return ui
