"""A hung test cannot hold the run: its process dumps every thread's stack and ends.

pytest-timeout (``timeout`` in pyproject.toml, signal method) fails a test that runs too long and
the run goes on, but its SIGALRM handler runs only when the main thread runs Python code: a test
stuck in C, such as a Qt event loop or a modal dialog's ``exec()``, outlives it. GRACE_S after the
test's own timeout, faulthandler's C thread writes every thread's stack to the real stderr and
ends the process; under pytest-xdist the worker is reported crashed while running that test and
is replaced, so the rest of the run goes on.

SIGUSR1 makes any pytest process (the xdist controller, each worker) write every thread's stack
without stopping: ``.ci/deadline`` sends it before it ends a run past its deadline.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
from typing import Any

import pytest

GRACE_S = 60

_stderr: Any = None  # the process's real stderr, not the capture file a test's output goes to


def pytest_configure(config: pytest.Config) -> None:
    global _stderr
    # Global capture is suspended while plugins configure: fd 2 is still the real stderr here.
    _stderr = os.fdopen(os.dup(sys.__stderr__.fileno()), "w", closefd=True)
    faulthandler.register(signal.SIGUSR1, file=_stderr, all_threads=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    faulthandler.unregister(signal.SIGUSR1)


@pytest.hookimpl(optionalhook=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> None:
    """Armed with pytest-timeout's own timer (returns None: pytest-timeout's timer is set too)."""
    if _stderr is None or item.config.getoption("usepdb") or sys.gettrace() is not None:
        return  # a debugger may stop a test for as long as its user likes
    faulthandler.dump_traceback_later(settings.timeout + GRACE_S, exit=True, file=_stderr)


@pytest.hookimpl(optionalhook=True)
def pytest_timeout_cancel_timer(item: pytest.Item) -> None:
    faulthandler.cancel_dump_traceback_later()
