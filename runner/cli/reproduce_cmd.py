"""``reproduce RUN[/NODE]``: run an execution (or a whole run) again from what was stored, its
code snapshot rather than the folder as it is now, and say whether it came out the same.

Exit status: 0 when every reproduced execution succeeded with identical outputs (by content) and
final metrics; 1 when something differs or failed; 2 when it cannot be reproduced.
``--json``: ``{"format": 1, "source_run", "run", "status", "nodes": [{"node", "original",
"status", "identical", "outputs_same", "metrics_same", "differences": [...]}]}``.
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
from typing import IO, Any

from runner.cli.run_args import saved_network, start_error
from runner.cli.run_progress import Progress
from runner.events import RunFinished

FORMAT = 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "reproduce", help="run an execution or a run again from its stored code, inputs and image; compare"
    )
    p.add_argument("target", metavar="RUN[/NODE]", help="run id (or 'latest'), optionally /NODE")
    p.add_argument(
        "--backend",
        choices=("docker", "docker-archive", "local"),
        default="docker",
        help="docker: bind mounts (default); docker-archive: put/get archive; local: NOT isolated",
    )
    p.add_argument(
        "--network", default=None, help="container network (default: Preferences' network, else the engine's)"
    )
    p.add_argument(
        "--pull", choices=("missing", "never"), default="missing", help="pull missing images or never"
    )
    p.add_argument("--logs", action="store_true", help="print every log line as it arrives")
    p.add_argument("--json", action="store_true", help="machine-readable result (documented format)")
    p.set_defaults(func=reproduce)


def reproduce(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    from runner.api import ReproduceError, plan_reproduction, start_run

    out = out or sys.stdout
    try:
        repro = plan_reproduction(args.target)
        network = saved_network(args)
    except (ReproduceError, ValueError) as exc:
        print(f"pipeline-designer reproduce: error: {exc}", file=sys.stderr)
        return 2
    try:
        handle = start_run(repro.plan, repro.options(), backend=args.backend, network=network, pull=args.pull)
    except Exception as exc:  # engine unreachable and the like: translated when it is the local engine's
        print(start_error(exc, "reproduce", args.backend != "local"), file=sys.stderr)
        return 2
    progress_out = sys.stderr if args.json else out
    display = Progress(progress_out, show_logs=args.logs)
    print(
        f"reproducing {args.target} (from run {repro.source_run}'s stored code and inputs)", file=progress_out
    )
    status = _follow(handle, display)
    display.final()
    checks = repro.check_in_store(handle.run_id)
    if args.json:
        nodes = [
            {
                "node": c.node,
                "original": c.original,
                "status": c.status,
                "identical": c.identical,
                "outputs_same": c.outputs_same,
                "metrics_same": c.metrics_same,
                "differences": c.differences,
            }
            for c in checks
        ]
        data = {"format": FORMAT, "source_run": repro.source_run, "run": handle.run_id, "status": status}
        json.dump({**data, "nodes": nodes}, out, indent=2)
        out.write("\n")
    else:
        print(f"run {handle.run_id}: {status}", file=out)
        for c in checks:
            if c.identical:
                print(f"  {c.node}: identical outputs and metrics to {c.original}", file=out)
            else:
                print(
                    f"  {c.node}: {c.status}, differs from {c.original}: {'; '.join(c.differences)}", file=out
                )
    return 0 if checks and all(c.identical for c in checks) else 1


def _follow(handle: Any, display: Progress) -> str:
    while True:
        try:
            event = handle.events.get(timeout=0.25)
        except queue.Empty:
            if handle.done and handle.events.empty():
                handle.wait()
                return str(handle.status or "failed")
            display.tick()
            continue
        display.handle(event)
        if isinstance(event, RunFinished):
            handle.wait()
            return event.status
