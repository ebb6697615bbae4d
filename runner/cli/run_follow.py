"""Following a started run on the terminal until it ends: its events into the progress
display, require-approval questions asked (or refused when not interactive), Ctrl-C, SIGTERM,
SIGHUP or a closed output pipe cancelling it; then the exit status (runner.cli.run_cmd)."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sys
import time
from typing import IO, Any

from runner.cli.run_progress import Progress
from runner.cli.signals import EXIT_BROKEN_PIPE, Stopped, silence
from runner.deploy.serve import serve_endpoints
from runner.events import ApprovalRequested, RunFinished

STATUS_EXIT = {"succeeded": 0, "stopped": 0, "failed": 1, "cancelled": 130}


def follow_run(args: argparse.Namespace, handle: Any, out: IO[str], stdin: IO[str], stopped: Stopped) -> int:
    """Show the run until it ends; Ctrl-C, SIGTERM, SIGHUP or a closed output pipe cancel it."""
    for note in handle.notes:
        print(f"pipeline-designer run: {note}", file=sys.stderr)
    display = Progress(out, show_logs=args.logs)
    status: str | None = None
    broken = False
    while status is None:
        # Ctrl-C may land anywhere in here: it always means "cancel", never "leave containers".
        try:
            status = _follow(handle, display, stdin)
        except (KeyboardInterrupt, BrokenPipeError) as exc:
            if isinstance(exc, BrokenPipeError):  # `run ... | head`: stop quietly
                broken = True
                silence(out)
            with contextlib.suppress(OSError):
                print("\ncancelling (stopping running containers)...", file=sys.stderr)
            handle.cancel()
    # Sleep, never join, until the run has ended: a second Ctrl-C must not leave it half-stopped
    # (and a signal interrupting Thread.join makes Python 3.11 take the thread for finished).
    while not handle.done:
        try:
            time.sleep(0.002)  # the run thread closes the store: a few ms after RunFinished
        except KeyboardInterrupt:
            handle.cancel()
    handle.wait()
    try:
        display.final()
        print(f"run {handle.run_id}: {status}{display.stop_note(status)}", file=out)
    except BrokenPipeError:
        silence(out)
        return EXIT_BROKEN_PIPE
    if broken:
        return EXIT_BROKEN_PIPE
    if status == "cancelled" and stopped.signum is not None:
        return stopped.exit_code
    # Endpoints of deployment nodes: print their URLs and serve until Ctrl-C (or stop them now).
    serve_endpoints(handle, out, serve=not args.no_serve and status == "succeeded", show_logs=args.logs)
    return STATUS_EXIT.get(status, 1)


def _follow(handle: Any, display: Progress, stdin: IO[str]) -> str:
    while True:
        events = handle.events.get_all(timeout=0.25)  # all that came: a burst of lines at once
        if not events:
            if handle.done and handle.events.empty():
                handle.wait()  # re-raises a crash of the runner thread
                return handle.status or "failed"
            display.tick()
            continue
        for i, event in enumerate(events):
            display.handle(event)
            if isinstance(event, ApprovalRequested):
                _ask(handle, event, display, stdin)
            elif isinstance(event, RunFinished):
                handle.events.put_back(events[i + 1 :])  # endpoints' lines: serve_endpoints reads on
                return event.status


def _ask(handle: Any, event: ApprovalRequested, display: Progress, stdin: IO[str]) -> None:
    """A require-approval action paused a node: ask on the terminal, or fail the node at once."""
    if not stdin.isatty():
        node = shlex.quote(event.node)
        message = f'node "{event.node}" needs approval; run interactively, or pass --approve {node}'
        message += " (or --approve-all)"
        print(f"pipeline-designer run: {message}", file=sys.stderr)
        answer: tuple[bool, str] = (False, message)
    else:
        display.pause()
        sys.stderr.write(f'Approve node "{event.node}" ({event.reason})? [y/N] ')
        sys.stderr.flush()
        approved = stdin.readline().strip().lower() in ("y", "yes")
        answer = (approved, "" if approved else "rejected")
    try:
        if answer[0]:
            handle.approve(event.node)
        else:
            handle.reject(event.node, answer[1])
    except ValueError as exc:  # answered too late: cancelled or stopped meanwhile
        print(f"pipeline-designer run: {exc}", file=sys.stderr)
