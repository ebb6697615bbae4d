"""Deleting runs from the designer (the Runs dock's Delete Run…): ``pipeline-designer gc`` for
the runs chosen (their containers too), off the UI thread (it walks every stored file), results
through Qt signals.

``plan(ids)`` works out what would go (the containers their runners left included) and emits
``planned(ids, plan)``; ``delete(ids)`` deletes and emits ``deleted(plan)`` with what went; either
emits ``failed(message)`` instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from runner.api import StoreError, gc, leftovers, open_store


class RunCleanup(QObject):
    planned = Signal(list, object)
    deleted = Signal(object)
    failed = Signal(str)

    def __init__(self, home: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.home = home
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def plan(self, run_ids: list[str]) -> None:
        def work(store: Any, artifacts: Any, home: Path) -> None:
            chosen = _plan(store, artifacts, home, run_ids)
            found = leftovers.sweep(store, [r["id"] for r in chosen.runs], remove=False)
            chosen.containers = found.count  # said in the question: they go too
            self.planned.emit(run_ids, chosen)

        self._start(work)

    def delete(self, run_ids: list[str]) -> None:
        def work(store: Any, artifacts: Any, home: Path) -> None:
            chosen = _plan(store, artifacts, home, run_ids)
            found = leftovers.sweep(store, [r["id"] for r in chosen.runs], remove=True)  # containers too
            done = gc.apply(store, artifacts, home, chosen)
            done.containers = found.count
            self.deleted.emit(done)

        self._start(work)

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _start(self, work: Callable[[Any, Any, Path], None]) -> None:
        def run() -> None:  # signals emitted here are queued to the receivers' (GUI) thread
            try:
                home, store, artifacts = open_store(self.home)
            except (StoreError, OSError) as exc:
                self.failed.emit(str(exc))
                return
            try:
                work(store, artifacts, home)
            except (gc.GcError, StoreError, OSError) as exc:
                self.failed.emit(str(exc))
            finally:
                store.close()

        self._thread = threading.Thread(target=run, name="run-cleanup", daemon=True)
        self._thread.start()


def _plan(store: Any, artifacts: Any, home: Path, run_ids: list[str]) -> Any:
    return gc.plan(store, artifacts, home, run_ids=run_ids)


def summary(plan: Any, done: bool) -> str:
    """``Deleted 2 runs and freed 4.5 MB`` (or what would be, before)."""
    runs = len(plan.runs)
    what = f"{runs} run" + ("" if runs == 1 else "s")
    size = gc.size_text(plan.freed)
    containers = plan.containers
    if done:
        removed = f", removed {_containers(containers)}" if containers else ""
        return f"Deleted {what}{removed} and freed {size}."
    kept = f" ({len(plan.spared)} in progress kept)" if plan.spared else ""
    left = f", {_containers(containers)} left on an engine" if containers else ""
    return f"Delete {what}{kept}? Their records, logs{left} and the {size} of files no other run uses go."


def _containers(n: int) -> str:
    return f"{n} container" + ("" if n == 1 else "s")
