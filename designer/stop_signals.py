"""SIGTERM, SIGHUP and Ctrl-C end the designer cleanly: what ``kill``, a logout or a closed
terminal sends gets the same answer as Ctrl-C in a ``pipeline-designer run``: the run is
cancelled (its containers stopped), endpoints are stopped, unsaved edits stay in the autosave
for the next start, and the window closes without asking.

Python runs a signal handler only when the interpreter gets control, which Qt's event loop
does not give it; so the C-level handler writes the signal number to a socket
(``signal.set_wakeup_fd``) that a QSocketNotifier watches on the GUI thread.
"""

from __future__ import annotations

import contextlib
import signal
import socket
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QSocketNotifier

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


class StopSignals(QObject):
    """Installed by ``end_on_stop_signals``; ``received`` is the first signal that came."""

    def __init__(self, app: QCoreApplication, window: Any) -> None:
        super().__init__(app)
        self._app, self._window = app, window
        self.received: int | None = None
        self._read, self._write = socket.socketpair()
        for sock in (self._read, self._write):
            sock.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._write.fileno(), warn_on_full_buffer=False)
        self._previous = {sig: signal.signal(sig, lambda *_a: None) for sig in STOP_SIGNALS}
        self._notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._woken)

    def _woken(self) -> None:
        with contextlib.suppress(BlockingIOError):
            numbers = self._read.recv(64)
            if numbers and self.received is None:
                self.received = numbers[0]
                self._end(numbers[0])

    def _end(self, signum: int) -> None:
        window = self._window
        window.files.end_without_asking()
        run_ui = getattr(window, "run_ui", None)
        if run_ui is not None:
            run_ui.shutdown()  # cancels the run and waits for its containers to stop
        self._app.exit(128 + signum)

    def uninstall(self) -> None:
        signal.set_wakeup_fd(self._previous_fd)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._notifier.setEnabled(False)
        self._read.close()
        self._write.close()


def end_on_stop_signals(app: QCoreApplication, window: Any) -> StopSignals:
    return StopSignals(app, window)
