"""Ending a finished headless command's process without Python's interpreter teardown.

Once a command has returned, everything it must leave in order is in order: a run's containers
are removed and its row final before ``start_run``'s thread ends, the store is closed, output is
flushed below. What Python's own finalization still does then is free the ~700 modules a ``run``
imports, one object at a time: 30-150 ms on this machine's class of hardware, as long again as
the container's own start, for nothing anyone sees. So ``exit_process`` runs what was registered
to run at exit (``atexit``: temporary folders' clean-up, coverage data and the like), flushes
standard output and error, and ends the process with the status. When a thread that is not a
daemon still runs (Python would wait for it), it exits the ordinary way instead.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn


def exit_process(code: object) -> NoReturn:
    """``sys.exit(code)``, minus the interpreter's teardown when nothing is left to wait for."""
    status = _status(code)
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if any(t.is_alive() for t in others):
        sys.exit(code)
    atexit._run_exitfuncs()  # what Python would run at exit, in the same order
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`run ... | head`) or a closed stream
            status = status or 1
    os._exit(status)


def _status(code: object) -> int:
    """The exit status ``sys.exit(code)`` would give (a message is printed, as it would be)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1
