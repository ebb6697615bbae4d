"""A shell session (runner.api.debug) behind Qt signals: opened and read off the GUI thread.

``ShellConnection.start(open_session)`` calls ``open_session()`` on a worker thread (connecting,
creating a debug container and rebuilding its files take a moment, remote hosts longer); the
session's output then arrives as ``output(bytes)`` from a reader thread, queued onto the GUI
thread. Writes and resizes go to the session at once (small socket sends).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal


class _State:
    """The session and its state, plain Python: closing works even once the QObject is gone."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.session: Any = None
        self.size: tuple[int, int] | None = None
        self.closed = False

    def close(self, *_: object) -> None:
        with self.lock:
            self.closed = True
            session = self.session
        if session is not None:
            session.close()


class ShellConnection(QObject):
    # The session is open: (its banner text)
    opened = Signal(str)
    # Output of the process: (bytes)
    output = Signal(bytes)
    # The session ended: (exit status or None)
    ended = Signal(object)
    # It could not be opened: (the reason)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = _State()
        # Destroyed with its tab or window without close(): the session (a container) still ends.
        self.destroyed.connect(self.state.close)

    def start(self, open_session: Callable[[], Any]) -> None:
        threading.Thread(target=self._run, args=(open_session,), name="shell", daemon=True).start()

    def _run(self, open_session: Callable[[], Any]) -> None:
        try:
            session = open_session()
        except Exception as exc:  # ShellError, engine or host errors: the tab shows the reason
            self.failed.emit(str(exc) or type(exc).__name__)
            return
        state = self.state
        with state.lock:
            state.session = session
            size, closed = state.size, state.closed
        if closed:
            session.close()
            return
        if size is not None:
            session.resize(*size)
        self.opened.emit(str(getattr(session, "banner", "")))
        while data := session.read():
            self.output.emit(data)
        code = session.exit_code()
        session.close()
        self.ended.emit(code)

    def write(self, data: bytes) -> None:
        with self.state.lock:
            session = self.state.session
        if session is not None:
            session.write(data)

    def resize(self, rows: int, cols: int) -> None:
        with self.state.lock:
            self.state.size = (rows, cols)
            session = self.state.session
        if session is not None:
            session.resize(rows, cols)

    def close(self) -> None:
        """Ends the session (a debug container is removed); safe from any state."""
        self.state.close()
