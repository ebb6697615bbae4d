"""The debugging side of the run UI: Open Shell, Debug This Node, the failure view and the prompt.

Added to ``RunUI`` (designer/run/integration.py) with its public attributes only: the window,
``history``, ``controller``, ``shown_run``, ``menu``/``toolbar``, ``logs_dock``, ``run_node(s)``
and the next runs' ``debug_nodes``, ``debug_pycharm``, ``capture_locals`` and ``pause_before``.
Shells open in the Terminal dock; selecting a failed node shows its traceback in the Failure dock;
a node run with Debug This Node shows its debugger address in the Debugger dock (Attach with
VS Code / PyCharm: designer/debug/attach_ide.py); a node paused before it starts shows its
parameters there, editable, for Continue.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QProcess, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QWidget

from designer.debug.attach_ide import IdeAttach
from designer.debug.debugger_prompt import DebuggerPrompt
from designer.debug.failure_view import FailureView
from designer.debug.rerun_on_save import RerunOnSave
from designer.debug.terminal_dock import TerminalPanel
from runner.api import debug, split_unit
from runner.events import ApprovalRequested, ApprovalResolved

_FAILED = ("failed", "cancelled")


class DebugUI(QObject):
    def __init__(self, run_ui: Any) -> None:
        super().__init__(run_ui)
        self.ui = run_ui
        self.window = run_ui.window
        # Opening a file at a line (tests replace it): (path, line) -> what was done, for the status bar
        self.open_file: Callable[[str, int], str] = self._open_in_editor
        self.terminals = TerminalPanel(self.window)
        self.failure = FailureView(self.window)
        self.prompt = DebuggerPrompt(self.window)
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.terminal_dock = self._dock("Terminal", "debug-terminal", self.terminals, bottom)
        self.failure_dock = self._dock("Failure", "debug-failure", self.failure, bottom)
        self.debugger_dock = self._dock("Debugger", "debug-debugger", self.prompt, bottom)
        self._build_actions()
        self.failure.open_requested.connect(self._open_requested)
        self.failure.shell_requested.connect(lambda: self.open_shell())
        self.ide = IdeAttach(self)
        self.prompt.attach_vscode.connect(self.ide.attach_vscode)
        self.prompt.attach_pycharm.connect(self.ide.attach_pycharm)
        self.prompt.cancel_requested.connect(self.ui.cancel)
        self.prompt.continue_requested.connect(self.ui.controller.approve)
        self.ui.controller.paused_parameters = self._parameters_for  # Continue, or Approve elsewhere
        self.prompt.shell_requested.connect(lambda node: self.open_shell(node, self.ui.controller.run_id))
        run_ui.controller.events.approvals_changed.connect(self._on_approvals)
        ev = run_ui.controller.events
        ev.debuggers_listening.connect(self._on_debuggers)
        ev.states_changed.connect(self._on_states)
        ev.run_finished.connect(lambda _e: self.prompt.show_idle())
        self.window.scene.selectionChanged.connect(self.refresh_failure)
        self.window.scene.selectionChanged.connect(self._sync_rerun_action)
        self.rerun = RerunOnSave(run_ui, self)
        self.rerun.rerun_started.connect(
            lambda nodes, files: self._status(f"Saved {', '.join(files[:3])}: re-running {', '.join(nodes)}")
        )
        self.window.document.reset.connect(self.rerun.watch)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.window.addDockWidget(area, dock)
        self.window.tabifyDockWidget(self.ui.logs_dock, dock)
        self.ui.logs_dock.raise_()
        return dock

    def _build_actions(self) -> None:
        self.shell_action = QAction("Open &Shell", self.window)
        self.shell_action.setShortcut(QKeySequence("Ctrl+Alt+T"))
        self.shell_action.setStatusTip(
            "A shell in the selected node's container (running), or in a rebuilt copy of its world"
        )
        self.shell_action.triggered.connect(lambda _c=False: self.open_shell())
        self.debug_action = QAction("&Debug This Node", self.window)
        self.debug_action.setShortcut(QKeySequence("Ctrl+Shift+F5"))
        self.debug_action.setStatusTip("Run the selected node with its Python waiting for a debugger")
        self.debug_action.triggered.connect(lambda _c=False: self.debug_node())
        self.pycharm_action = QAction("Debug This Node in &PyCharm", self.window)
        self.pycharm_action.setStatusTip(
            "Run the selected node with PyCharm's debugger: it connects to PyCharm's Python Debug "
            "Server (its run configuration is added to the project's .idea)"
        )
        self.pycharm_action.triggered.connect(lambda _c=False: self.debug_in_pycharm())
        self.locals_action = QAction("Capture &Locals on Failure", self.window)
        self.locals_action.setCheckable(True)
        self.locals_action.setStatusTip(
            "Runs record each frame's local variables at an uncaught Python exception (shown in Failure)"
        )
        self.locals_action.toggled.connect(lambda on: setattr(self.ui, "capture_locals", on))
        self.rerun_action = QAction("Re-run on Sa&ve", self.window)
        self.rerun_action.setCheckable(True)
        self.rerun_action.setEnabled(False)
        self.rerun_action.setStatusTip(
            "Run the selected node again, on its upstream's latest outputs, whenever a code file is saved"
        )
        self.rerun_action.triggered.connect(self._toggle_rerun)
        self.pause_action = QAction("&Pause Before This Node", self.window)
        self.pause_action.setCheckable(True)
        self.pause_action.setEnabled(False)
        self.pause_action.setStatusTip(
            "A breakpoint for the next runs (not written into the YAML): the node waits before it "
            "starts, its inputs staged"
        )
        self.pause_action.triggered.connect(self._toggle_pause)
        menu = self.ui.menu
        first = menu.actions()[0] if menu.actions() else None
        actions = [
            self.debug_action,
            self.pycharm_action,
            self.shell_action,
            self.locals_action,
            self.rerun_action,
            self.pause_action,
        ]
        menu.insertActions(first, actions)
        menu.insertSeparator(first)
        for dock in (self.terminal_dock, self.failure_dock, self.debugger_dock):
            menu.addAction(dock.toggleViewAction())
        self.ui.toolbar.addAction(self.shell_action)

    # --- what is selected ------------------------------------------------------------------------
    def _selected(self) -> str | None:
        scene = self.window.scene
        names = scene.selected_node_names() if shiboken6.isValid(scene) else []
        return str(names[0]) if len(names) == 1 else None

    def _status(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)

    # --- re-run on save ---------------------------------------------------------------------------
    def _sync_rerun_action(self) -> None:
        node = self._selected()
        for action, nodes in (
            (self.rerun_action, self.rerun.nodes),
            (self.pause_action, self.ui.pause_before),
        ):
            action.setEnabled(node is not None)
            action.setChecked(node is not None and node in nodes)

    def _toggle_pause(self, on: bool) -> None:
        node = self._selected()
        if node is not None:
            (self.ui.pause_before.add if on else self.ui.pause_before.discard)(node)

    def _on_approvals(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, ApprovalRequested) and event.reason.endswith(debug.BREAKPOINT):
                self.prompt.show_paused(event.node, *self._paused_parameters(event.run_id, event.node))
                self.debugger_dock.show()
                self.debugger_dock.raise_()
            elif (
                isinstance(event, ApprovalResolved)
                and event.node == self.prompt.node
                and not self.prompt.port
            ):
                self.prompt.show_idle()

    def _paused_parameters(self, run_id: str, node: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The step's parameter definitions of a paused node, and the values it would run with
        (its staged record)."""
        plan = self.ui.controller.last_plan
        template = plan.nodes.get(node) if plan is not None else None
        execution = self.ui.history.execution(run_id, node) or {}
        return (dict(template.parameters) if template else {}), dict(execution.get("parameters") or {})

    def _parameters_for(self, node: str) -> dict[str, Any] | None:
        """What a node let go on starts with: the prompt's edits when it shows that paused node
        (None when one cannot be read: it stays paused, the prompt says why)."""
        if node != self.prompt.node or self.prompt.port or not self.prompt.parameters.fields:
            return {}
        try:
            changed = self.prompt.parameters.changed()
        except ValueError as exc:
            self.prompt.status.setText(f"{exc}. Fix it, then Continue.")
            self.debugger_dock.show()
            self.debugger_dock.raise_()
            return None
        shown = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        self.prompt.status.setText(f"{node} continues" + (f" with {shown}" if shown else "") + "…")
        return changed

    def _toggle_rerun(self, on: bool) -> None:
        node = self._selected()
        if node is not None:
            self.rerun.set_node(node, on)
            state = "re-runs" if on else "no longer re-runs"
            self._status(f"{node} {state} when a file of {self.rerun.root or 'the project'} is saved")

    # --- shell ------------------------------------------------------------------------------------------
    def open_shell(self, node: str | None = None, run_id: str | None = None) -> Any:
        node = node or self._selected()
        run_id = run_id or self.ui.shown_run or self.ui.controller.run_id
        if node is None or run_id is None:
            self.ui.warn("Open Shell", "Select a node of a run (run it, or pick a run in Runs) first.")
            return None
        target = f"{run_id}/{node}"
        home, labels = self.ui.home, dict(self.ui.labels)
        network = self.ui.start_kwargs.get("network")
        tab = self.terminals.open(
            node, lambda: debug.open_terminal(target, home=home, network=network, labels=labels)
        )
        self.terminal_dock.show()
        self.terminal_dock.raise_()
        return tab

    # --- debugger -------------------------------------------------------------------------------------
    def debug_node(self, node: str | None = None) -> bool:
        node = node or self._selected()
        if node is None:
            self.ui.warn("Debug This Node", "Select one node on the canvas first.")
            return False
        self.ui.debug_nodes = (node,)
        started = bool(self.ui.run_node(node))
        self.ui.debug_nodes = ()
        if started:
            self.prompt.show_idle()
            self.prompt.headline.setText(f"Starting {node} under the debugger…")
            self.debugger_dock.show()
            self.debugger_dock.raise_()
        return started

    def debug_in_pycharm(self, node: str | None = None) -> bool:
        node = node or self._selected()
        if node is None:
            self.ui.warn("Debug This Node in PyCharm", "Select one node on the canvas first.")
            return False
        return self.ide.debug_in_pycharm(node)

    def _on_debuggers(self, events: list[Any]) -> None:
        last = events[-1]
        address = f"{last.host}:{last.port}"
        if last.debugger == "pycharm":
            config = debug.configuration_name(split_unit(last.node)[0])  # a task's: train#1
            self.prompt.show_waiting_pycharm(last.node, address, last.script, config)
            self._status(f"{last.node} is waiting for PyCharm's debug server at {address}")
        else:
            self.prompt.show_waiting(last.node, last.port, last.script)
            self._status(f"{last.node} is waiting for a debugger at {address}")
        self.debugger_dock.show()
        self.debugger_dock.raise_()

    # --- failure view -----------------------------------------------------------------------------------
    def _on_states(self, events: list[Any]) -> None:
        node = self._selected()
        if any(e.node == node and e.status in _FAILED for e in events):
            self.refresh_failure()

    def refresh_failure(self) -> None:
        if not shiboken6.isValid(self.failure):
            return  # the window is going away (its scene clears the selection as it goes)
        node, run_id = self._selected(), self.ui.shown_run
        if node is None or run_id is None:
            self.failure.show_failure(None)
            return
        execution = self.ui.history.execution(run_id, node)
        if execution is None or execution.get("status") not in _FAILED:
            self.failure.show_failure(None)
            return
        run = self.ui.history.run(run_id)
        failure = debug.failure_of(execution, run)
        if failure is None:
            line = debug.last_error_line(debug.log_lines(execution.get("log_path") or ""))
            why = execution.get("message") or execution["status"]
            note = f"{node} failed ({why}) without a Python traceback."
            self.failure.show_failure(None, note + (f"\nLast error line: {line}" if line else ""))
            return
        self.failure.show_failure(failure, root=debug.code_root(run) if run else None)
        self.failure_dock.show()
        self.failure_dock.raise_()

    def _open_requested(self, path: str, line: int) -> None:
        self._status(self.open_file(path, line))

    def _open_in_editor(self, path: str, line: int) -> str:
        command = debug.editor_command(Path(path), line)
        started = command is not None and not command.in_terminal
        if started and command and QProcess.startDetached(command.argv[0], command.argv[1:])[0]:
            return f"Opened {path}:{line} in {Path(command.argv[0]).name}"
        if command is not None and command.in_terminal:
            self.open_local_editor(command.argv, f"{Path(path).name}:{line}")
            return f"Opened {path}:{line} in {Path(command.argv[0]).name} (Terminal dock)"
        QDesktopServices.openUrl(QUrl.fromLocalFile(path))
        return f"Opened {path} (line {line})"

    def open_local_editor(self, argv: list[str], title: str) -> None:
        """A terminal editor ($EDITOR=vim) runs in a Terminal tab on this machine."""
        self.terminals.open(title, lambda: debug.open_local_terminal(argv))
        self.terminal_dock.show()
        self.terminal_dock.raise_()

    def shutdown(self) -> None:
        self.terminals.close_all()
