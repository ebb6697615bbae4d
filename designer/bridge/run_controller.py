"""Run the engine on a worker thread and deliver its events to the GUI as batched Qt signals.

``RunEvents`` is created on the GUI thread; the worker (moved to a ``QThread``) only emits its
signals, so every delivery is queued onto the GUI thread. Workers never touch widgets.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from designer.bridge.batching import BATCH_SECONDS, next_batch
from designer.bridge.node_states import NodeStateModel
from runner.api import RunHandle, RunOptions, start_run
from runner.events import RunFinished
from runner.execution.plan import RunPlan

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
            self._events.run_failed.emit(f"{type(exc).__name__}: {exc}")
        finally:
            self.done.emit()

    def _work(self) -> None:
        handle = start_run(self._plan, self._options, **self._kwargs)
        with self._lock:
            self.handle = handle
            if self._cancelled:
                handle.cancel()
        ev = self._events
        while True:
            batch = next_batch(handle.events, BATCH_SECONDS)
            if batch.started is not None:
                ev.run_started.emit(batch.started.run_id, batch.started.nodes)
            if batch.states:
                ev.states_changed.emit(batch.states)
            if batch.logs:
                ev.logs_arrived.emit(batch.logs)
            if batch.records:
                ev.records_arrived.emit(batch.records)
            if batch.finished is not None:
                handle.wait(30)  # the store is closed once the thread ends
                ev.run_finished.emit(batch.finished)
                return
            if handle.done and handle.events.empty():
                handle.wait(0)  # re-raises the executor's crash, if any
                ev.run_failed.emit("the run ended without a RunFinished event")
                return


class RunController(QObject):
    """Starts runs (one at a time), cancels them, and keeps the node-state model current."""

    # Whether a run is going on changed
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.events = RunEvents(self)
        self.states = NodeStateModel(self)
        self.last_plan: RunPlan | None = None
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self.events.run_started.connect(self._on_started)
        self.events.states_changed.connect(self._on_states)

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

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel and wait for the worker (the window is closing)."""
        thread = self._thread
        if thread is None:
            return
        self.cancel()
        if not thread.wait(timeout_ms):
            # Never destroy a running QThread (Qt aborts the process): keep it until it ends.
            thread.setParent(None)
            _STRAGGLERS.append(thread)
            thread.finished.connect(lambda: _STRAGGLERS.remove(thread))
        self._on_thread_finished()

    def _on_started(self, run_id: str, nodes: tuple[str, ...]) -> None:
        self.states.reset(run_id, nodes)

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
