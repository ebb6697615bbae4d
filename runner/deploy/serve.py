"""``pipeline-designer run`` after the run: print the endpoint URLs, serve until Ctrl-C/SIGTERM.

``--no-serve`` stops them as soon as the run is over (they did answer: that is what a CI
check wants). A run that did not succeed stops its endpoints too rather than block.
"""

from __future__ import annotations

import argparse
import contextlib
import queue
import signal
import threading
from collections.abc import Iterator
from typing import IO, Any

from runner.events import LogLine


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-serve",
        action="store_true",
        help="stop deployment endpoints once the run is over instead of serving until Ctrl-C",
    )


def serve_endpoints(handle: Any, out: IO[str], serve: bool, show_logs: bool = False) -> None:
    """Print each endpoint's URL; serve until interrupted (or not at all), then stop them."""
    up = handle.executor.deployments.serving
    if not up:
        return
    for node, endpoint, url in up:
        print(f"endpoint {node}/{endpoint}: {url}", file=out)
    try:
        if serve:
            print("serving; press Ctrl-C to stop", file=out, flush=True)
            with _sigterm_interrupts():
                _wait_while_serving(handle, out, show_logs)
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop_endpoints()
        print(f"stopped {len(up)} endpoint(s)", file=out)


def _wait_while_serving(handle: Any, out: IO[str], show_logs: bool) -> None:
    """Until every endpoint is gone (stopped elsewhere or exited); prints their logs with --logs."""
    while handle.executor.deployments.serving:
        try:
            event = handle.events.get(timeout=0.5)  # drained, so the queue does not grow
        except queue.Empty:
            continue
        if show_logs and isinstance(event, LogLine):
            print(f"  [{event.node} {event.stream}] {event.text}", file=out, flush=True)


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM ends serving like Ctrl-C (so the endpoints are stopped, not orphaned)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
