"""Run a slow call (the Docker engine, the host registry) off the GUI thread, answer on it.

``in_background(fn, done)`` calls ``fn()`` on a daemon thread and ``done(result)`` on the GUI
thread through a queued signal; an exception comes back as the result, never raised into Qt.
Threads are kept so ``wait_for_background()`` can let them end before Python finalizes (a
daemon thread still inside Qt at exit can abort the interpreter).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

_threads: list[threading.Thread] = []


class _Relay(QObject):
    """Carries a result from the worker thread; the connection queues it to the GUI thread."""

    # the call finished (its result, or the exception it raised)
    finished = Signal(object)


def in_background(fn: Callable[[], Any], done: Callable[[Any], None], name: str = "background") -> None:
    # No parent: the worker keeps the relay alive even if the widget asking goes first.
    relay = _Relay()
    relay.finished.connect(done, Qt.ConnectionType.QueuedConnection)  # always on the GUI thread

    def work() -> None:
        try:
            result: Any = fn()
        except Exception as exc:  # handed to ``done``: the caller says what failed
            result = exc
        relay.finished.emit(result)

    thread = threading.Thread(target=work, name=name, daemon=True)
    thread.relay = relay  # type: ignore[attr-defined]  (kept alive as long as the thread)
    _threads[:] = [t for t in _threads if t.is_alive()]
    _threads.append(thread)
    thread.start()


def wait_for_background(timeout: float = 25.0) -> None:
    """Let background calls end (each up to ``timeout`` s) before the application goes."""
    while _threads:
        _threads.pop().join(timeout)


__all__ = ["in_background", "wait_for_background"]
