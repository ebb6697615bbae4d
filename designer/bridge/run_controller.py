"""Run the engine on a worker thread and deliver its events to the GUI as batched Qt signals.

``RunEvents`` is created on the GUI thread; the worker (moved to a ``QThread``) only emits its
signals, so every delivery is queued onto the GUI thread. Workers never touch widgets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from designer.bridge.batching import BATCH_SECONDS, Batch, drain, next_batch
from designer.bridge.node_states import NodeStateModel
from designer.bridge.run_details import RunDetails
from runner.api import RunHandle, RunOptions, RunPlan, explain_engine_error, start_run
from runner.events import EndpointReady, EndpointStopped, RunFinished

_STRAGGLERS: list[QThread] = []  # worker threads still ending after a timed-out shutdown


class RunEvents(QObject):
    # A run began: (run id, node names in order)
    run_started = Signal(str, object)
    # A batch of NodeStateChanged events
    states_changed = Signal(object)
    # A batch of LogLine events
    logs_arrived = Signal(object)
    # A batch of MetadataRecord events
    records_arrived = Signal(object)
    # The run ended (RunFinished)
    run_finished = Signal(object)
    # The run could not start or the engine crashed: (message)
    run_failed = Signal(str)
    # A batch of NodeStateChanged events of task executions (child is set)
    child_states_changed = Signal(object)
    # A batch of TaskExpanded / TaskProgress events
    tasks_changed = Signal(object)
    # A batch of ApprovalRequested / ApprovalResolved events
    approvals_changed = Signal(object)
    # A batch of EndpointReady / EndpointStopped events
    endpoints_changed = Signal(object)
    # approve / reject / stop endpoints failed: (message)
    action_failed = Signal(str)
    # A batch of DebuggerListening events (nodes run with debug waiting for a debugger)
    debuggers_listening = Signal(object)
    # A batch of SystemSampled events (running containers' CPU, memory and GPU figures)
    system_sampled = Signal(object)

    def emit_batch(self, batch: Batch) -> None:
        """Any thread: one signal per kind, in an order the slots can rely on (a task's
        expansion before its executions' states, records and logs; the run's end last)."""
        if batch.started is not None:
            self.run_started.emit(batch.started.run_id, batch.started.nodes)
        for signal, events in (
            (self.tasks_changed, batch.tasks),
            (self.states_changed, batch.states),
            (self.child_states_changed, batch.child_states),
            (self.approvals_changed, batch.approvals),
            (self.endpoints_changed, batch.endpoints),
            (self.logs_arrived, batch.logs),
            (self.records_arrived, batch.records),
            (self.debuggers_listening, batch.debuggers),
            (self.system_sampled, batch.system),
        ):
            if events:
                signal.emit(events)


class _Worker(QObject):
    # The worker loop has returned (the thread may quit)
    done = Signal()

    def __init__(self, events: RunEvents, plan: RunPlan, options: RunOptions, kwargs: dict[str, Any]) -> None:
        super().__init__()
        self._events = events
        self._plan = plan
        self._options = options
        self._kwargs = kwargs
        self._lock = threading.Lock()
        self._cancelled = False
        self.handle: RunHandle | None = None

    def cancel(self) -> None:
        """Any thread: ask the executor to stop (it terminates the running containers)."""
        with self._lock:
            self._cancelled = True
            handle = self.handle
        if handle is not None:
            handle.cancel()

    @Slot()
    def work(self) -> None:
        try:
            self._work()
        except BaseException as exc:  # surfaced to the user, never swallowed
            self._events.run_failed.emit(self._why(exc))
        finally:
            self.done.emit()

    def _why(self, exc: BaseException) -> str:
        """The local engine's known failures in words with the fix (not running, no permission,
        no such network...); anything else, and a host's errors (they name the host), as raised."""
        local = self._kwargs.get("hosts") in (None, ["local"]) and self._kwargs.get("backend") != "local"
        problem = explain_engine_error(exc) if local else None
        return problem.for_designer() if problem is not None else f"{type(exc).__name__}: {exc}"

    def _work(self) -> None:
        handle = start_run(self._plan, self._options, **self._kwargs)
        with self._lock:
            self.handle = handle
            if self._cancelled:
                handle.cancel()
        ev = self._events
        while True:
            batch = next_batch(handle.events, BATCH_SECONDS)
            ev.emit_batch(batch)
            if batch.finished is not None:
                handle.wait(30)  # the store is closed once the thread ends
                ev.run_finished.emit(batch.finished)
                return
            if handle.done and handle.events.empty():
                handle.wait(0)  # re-raises the executor's crash, if any
                ev.run_failed.emit("the run ended without a RunFinished event")
                return


class RunController(QObject):
    """Starts runs (one at a time), cancels them, answers approvals, stops endpoints, and keeps
    the node-state and run-detail models current."""

    # Whether a run is going on changed
    busy_changed = Signal(bool)
    # Whether any endpoint container of our runs is up changed
    endpoints_up_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.events = RunEvents(self)
        self.states = NodeStateModel(self)
        self.details = RunDetails(self)
        self.last_plan: RunPlan | None = None
        # The parameters a paused node is to start with (designer/debug/debug_ui.py sets it)
        self.paused_parameters: Callable[[str], dict[str, Any] | None] | None = None
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        # Endpoints outlive their run: the handles of runs with containers up, and which nodes.
        self._live: dict[str, tuple[RunHandle, set[str]]] = {}
        self._actions: list[threading.Thread] = []
        ev = self.events
        ev.run_started.connect(self._on_started)
        ev.states_changed.connect(self._on_states)
        for signal in (ev.tasks_changed, ev.child_states_changed, ev.approvals_changed):
            signal.connect(self.details.apply)
        ev.endpoints_changed.connect(self._on_endpoints)
        ev.run_finished.connect(lambda _e: self.details.run_ended())

    @property
    def busy(self) -> bool:
        return self._thread is not None

    @property
    def run_id(self) -> str | None:
        handle = self._worker.handle if self._worker else None
        return handle.run_id if handle else self.states.run_id

    def start(self, plan: RunPlan, options: RunOptions | None = None, **start_kwargs: Any) -> None:
        """Start ``plan`` (``start_kwargs`` go to ``runner.api.start_run``: backend, home, client…)."""
        if self.busy:
            raise RuntimeError("a run is already going on; cancel it first")
        self.last_plan = plan
        self.states.reset(None, plan.order())
        self.details.reset(None)
        worker = _Worker(self.events, plan, options or RunOptions(), start_kwargs)
        thread = QThread(self)
        thread.setObjectName("run-worker")
        worker.moveToThread(thread)
        thread.started.connect(worker.work)
        # Direct: quit() is thread-safe, and a queued call would wait for the GUI thread, which
        # may itself be blocked in shutdown() waiting for this thread.
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        thread.start()
        self.busy_changed.emit(True)

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()

    # --- approvals and endpoints (never blocking the GUI thread) ---------------------------------
    def approve(self, node: str, parameters: dict[str, Any] | None = None) -> None:
        """Let ``node`` go on; a node paused before it starts runs with ``parameters`` changed
        (by default what ``paused_parameters(node)`` says: the Debugger dock's edits, whichever
        Approve or Continue is pressed; None from it: not now, it said why)."""
        if parameters is None and self.paused_parameters is not None:
            parameters = self.paused_parameters(node)
            if parameters is None:
                return
        handle = self._worker.handle if self._worker is not None else None
        if parameters and handle is not None:
            values = dict(parameters)
            self._off_thread(
                f"continue {node!r}", lambda: (handle.set_parameters(node, values), handle.approve(node))
            )
            return
        self._answer(node, True)

    def reject(self, node: str) -> None:
        self._answer(node, False)

    def _answer(self, node: str, approved: bool) -> None:
        handle = self._worker.handle if self._worker is not None else None
        verb = "approve" if approved else "reject"
        if handle is None:
            self.events.action_failed.emit(f"Cannot {verb} {node!r}: no run is going on")
            return
        call = handle.approve if approved else handle.reject
        self._off_thread(f"{verb} {node!r}", lambda: call(node))

    @property
    def endpoints_up(self) -> bool:
        return bool(self._live)

    def stop_endpoints(self) -> None:
        """Stop the endpoint containers of every run of ours that has some up."""
        current = self._worker.handle if self._worker is not None else None
        for run_id, (handle, nodes) in list(self._live.items()):
            # A finished run's queue has no reader left: its last events are handed on from here.
            read_here, names = handle is not current, sorted(nodes)
            self._off_thread(
                f"stop the endpoints of run {run_id}",
                lambda h=handle, r=read_here, n=names: self._stop(h, r, n),
            )

    def _stop(self, handle: RunHandle, read_here: bool, nodes: list[str]) -> None:
        """Action thread: stop, then (for a finished run) publish what the runner said."""
        handle.stop_endpoints()
        if read_here:
            self.events.emit_batch(drain(handle.events))
            # It returned, so they are down even if the runner published nothing more.
            self.events.endpoints_changed.emit([EndpointStopped(handle.run_id, n, "") for n in nodes])

    def _off_thread(self, what: str, call: Callable[[], None]) -> None:
        def work() -> None:
            try:
                call()
            except BaseException as exc:  # shown to the user, never swallowed
                self.events.action_failed.emit(f"Could not {what}: {type(exc).__name__}: {exc}")

        self._actions = [t for t in self._actions if t.is_alive()]
        thread = threading.Thread(target=work, name=f"run-action: {what}", daemon=True)
        self._actions.append(thread)
        thread.start()

    def _on_endpoints(self, events: list[Any]) -> None:
        was_up = self.endpoints_up
        handle = self._worker.handle if self._worker is not None else None
        for e in events:
            if isinstance(e, EndpointReady) and handle is not None and handle.run_id == e.run_id:
                self._live.setdefault(e.run_id, (handle, set()))[1].add(e.node)
            elif isinstance(e, EndpointStopped) and e.run_id in self._live:
                nodes = self._live[e.run_id][1]
                nodes.discard(e.node)
                if not nodes:
                    del self._live[e.run_id]
        self.details.apply(events)
        if self.endpoints_up != was_up:
            self.endpoints_up_changed.emit(self.endpoints_up)

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel and wait for the worker, then stop every endpoint (the window is closing)."""
        thread = self._thread
        if thread is not None:
            self.cancel()
            if not thread.wait(timeout_ms):
                # Never destroy a running QThread (Qt aborts the process): keep it until it ends.
                thread.setParent(None)
                _STRAGGLERS.append(thread)
                thread.finished.connect(lambda: _STRAGGLERS.remove(thread))
            self._on_thread_finished()
        for t in self._actions:
            t.join(timeout_ms / 1000)
        self._stop_all_endpoints_now(timeout_ms / 1000)

    def _stop_all_endpoints_now(self, timeout: float) -> None:
        """Closing: stop them here and wait (bounded), nothing is left to read their events."""
        threads = []
        for _run_id, (handle, _nodes) in list(self._live.items()):
            t = threading.Thread(target=handle.stop_endpoints, name="stop-endpoints", daemon=True)
            t.start()
            threads.append(t)
        for t in threads:
            t.join(timeout)
        self._live.clear()

    def _on_started(self, run_id: str, nodes: tuple[str, ...]) -> None:
        self.states.reset(run_id, nodes)
        self.details.reset(run_id)

    def _on_states(self, events: list[Any]) -> None:
        for event in events:
            self.states.apply(event)

    def _on_thread_finished(self) -> None:
        thread, self._thread = self._thread, None
        self._worker = None
        if thread is not None:
            if thread not in _STRAGGLERS:
                thread.deleteLater()
            self.busy_changed.emit(False)


__all__ = ["RunController", "RunEvents", "RunFinished"]
