"""``pipeline-designer run FILE (--pipeline NAME | --step NAME) [...]``: run on the local engine.

Prints one line per node (status, elapsed time, last metric), redrawn in place on a terminal
and as status-change lines otherwise, then the final table. Exit code 0 only when every
node succeeded (or was reused), or a stop-pipeline action stopped the run; 1 when a node
failed (or an error-pipeline action fired, or an approval was refused); 2 for usage/config
errors; 130 when cancelled with Ctrl-C, 143 with SIGTERM, 129 with SIGHUP (each cancels the
run as Ctrl-C does: its containers stopped, the run recorded ``cancelled``).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import IO

from runner.cli.debug_args import add_debug_arguments, chosen_debug_nodes, pycharm_target
from runner.cli.run_args import (
    add_approval_arguments,
    add_engine_arguments,
    add_host_argument,
    engine_options,
    pairs,
    param_values,
    run_hosts,
    start_error,
)
from runner.cli.run_follow import follow_run
from runner.cli.signals import stop_signals
from runner.deploy.serve import add_serve_arguments

__all__ = ["add_approval_arguments", "add_engine_arguments", "engine_options", "pairs", "param_values"]

EXIT_CODES = (
    "exit status: 0 when every node succeeded or a stop-pipeline action stopped the run; "
    "1 when a node failed, an error-pipeline action fired or an approval was refused; "
    "2 for usage errors or a config with lint errors (nothing is started); 130 when cancelled "
    "(Ctrl-C), 143 (SIGTERM), 129 (SIGHUP)"
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "run",
        help="run a pipeline or a single step on the local Docker engine",
        description="Run a pipeline (--pipeline) or one execution of a step (--step).",
        epilog=EXIT_CODES,
    )
    p.add_argument("file", help="the valohai.yaml")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--pipeline", "-p", help="pipeline to run")
    what.add_argument("--step", "-s", help="step to run as a single execution")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="[NODE.]PARAM=VALUE",
        help="parameter value (NODE.PARAM for pipelines; a pipeline parameter name also works); "
        "a list [a, b] into a task node runs one execution per item",
    )
    p.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="NAME=PATH_OR_URL",
        help="input source for --step (repeat for several files)",
    )
    p.add_argument(
        "--concurrency",
        "-j",
        type=int,
        default=None,
        help="nodes run in parallel (default: CPU count; with --host, the hosts' max-parallel sum)",
    )
    add_host_argument(p)
    p.add_argument("--no-reuse", action="store_true", help="run every node even if unchanged")
    p.add_argument("--strict", action="store_true", help="join the step commands with && (stop at a failure)")
    add_engine_arguments(p)
    p.add_argument("--logs", action="store_true", help="print every log line as it arrives")
    add_debug_arguments(p)  # --debug [NODE], --capture-locals
    add_approval_arguments(p, "asked on the terminal, or fail the node when not interactive")
    add_serve_arguments(p)  # --no-serve (deployment endpoints)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: IO[str] | None = None, stdin: IO[str] | None = None) -> int:
    from runner.api import RunOptions, plan_run, start_run
    from runner.config import ConfigLoadError
    from runner.execution.plan import PlanError

    out = out or sys.stdout
    try:
        params = param_values(pairs(args.param, "--param"))
        inputs: dict[str, list[str]] = {}
        for key, value in pairs(args.input, "--input"):
            inputs.setdefault(key, []).append(value)
        if inputs and args.pipeline:
            raise ValueError("--input is for --step runs; pipelines get inputs from edges and defaults")
        image_map, network = engine_options(args)
        plan = plan_run(args.file, pipeline=args.pipeline, step=args.step, params=params, inputs=inputs)
        hosts = run_hosts(args)
        if args.concurrency is None:
            args.concurrency = 1 << 16 if hosts != ["local"] else os.cpu_count() or 1
        if args.concurrency < 1:
            raise ValueError("--concurrency must be at least 1")
        unknown = sorted(set(args.approve) - set(plan.nodes))
        if unknown:
            raise ValueError(f"--approve: no node {', '.join(unknown)} (nodes: {', '.join(plan.nodes)})")
        debug_nodes = chosen_debug_nodes(args.debug, plan.nodes, args.pipeline, args.network)
        pycharm = pycharm_target(args, plan.root_dir, debug_nodes, out)  # --debugger pycharm
        unknown = sorted(set(args.pause_before) - set(plan.nodes))
        if unknown:
            raise ValueError(f"--pause-before: no node {', '.join(unknown)} (nodes: {', '.join(plan.nodes)})")
    except ConfigLoadError as exc:
        print(exc.format(), file=sys.stderr)
        return 2
    except (ValueError, PlanError) as exc:
        print(f"pipeline-designer run: error: {exc}", file=sys.stderr)
        return 2
    options = RunOptions(
        concurrency=args.concurrency,
        reuse=not args.no_reuse,
        strict=args.strict,
        image_map=image_map,
        debug_nodes=debug_nodes,
        capture_locals=args.capture_locals,
        pause_before=tuple(args.pause_before),
        pycharm=pycharm,
    )
    with stop_signals() as stopped:  # SIGTERM and SIGHUP cancel as Ctrl-C does
        try:
            handle = start_run(
                plan,
                options,
                backend=args.backend,
                network=network,
                pull=args.pull,
                hosts=hosts,
                approve=args.approve,
                approve_all=args.approve_all,
            )
        except KeyboardInterrupt:
            print("\ncancelled before the run started", file=sys.stderr)
            return stopped.exit_code
        except Exception as exc:  # engine unreachable and the like
            return _cannot_start(exc, hosts, args.backend)
        return follow_run(args, handle, out, stdin or sys.stdin, stopped)


def _cannot_start(exc: Exception, hosts: list[str], backend: str) -> int:
    from runner.api import StoreError
    from runner.store.space import DiskFull

    if isinstance(exc, StoreError | DiskFull):  # the data folder, not the engine (runner.store.health)
        print(f"pipeline-designer run: error: {exc}", file=sys.stderr)
        return 2
    # Host errors name the host and say what to do; the local engine's are translated.
    print(start_error(exc, "run", hosts == ["local"] and backend != "local"), file=sys.stderr)
    return 2
