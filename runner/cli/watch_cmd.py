"""``pipeline-designer watch FILE --pipeline NAME (--on-change PATH... | --every 1h | --cron EXPR)``.

Runs the pipeline each time a watched file's content changes or the schedule fires, with reuse
(unchanged nodes are not run again), planning it anew from the YAML every time. One line per run.
``--save NAME`` stores the trigger in the YAML's sidecar instead of watching; ``--trigger NAME``
watches with a saved one; ``--list`` lists them.

Exit codes: 0 after ``--max-runs`` runs that all succeeded, or when stopped by SIGTERM or SIGHUP; 1 when
one of those runs did not succeed; 2 for usage/config errors; 130 when stopped with Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from runner.cli.run_args import (
    add_approval_arguments,
    add_engine_arguments,
    add_host_argument,
    engine_options,
    pairs,
    run_hosts,
)
from runner.cli.signals import stop_signals

if TYPE_CHECKING:  # the CLI starts without importing cronsim or the runner's engine side
    from runner.triggers import Trigger

SETTLE_S = 1.0  # files must stand still this long before a change counts


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "watch",
        help="re-run a pipeline when input files change or on a schedule (with reuse)",
        description="Run a pipeline whenever watched files change (--on-change), at an interval "
        "(--every) or on a cron schedule (--cron), until Ctrl-C. Nodes whose code, inputs and "
        "parameters did not change are reused, not run again.",
    )
    p.add_argument("file", help="the valohai.yaml")
    p.add_argument("--pipeline", "-p", help="pipeline to run")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument(
        "--on-change", nargs="+", metavar="PATH", help="files or folders (recursive) whose changes start runs"
    )
    when.add_argument("--every", metavar="DURATION", help="run at this interval: 90s, 30m, 1h, 1d, 1h30m")
    when.add_argument("--cron", metavar="EXPR", help='run on a cron schedule in local time, e.g. "0 3 * * *"')
    when.add_argument("--trigger", "-t", metavar="NAME", help="watch with a trigger saved with --save")
    when.add_argument("--list", action="store_true", help="list the triggers saved for FILE and exit")
    p.add_argument("--save", metavar="NAME", help="save this trigger in the YAML's sidecar and exit")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="[NODE.]PARAM=VALUE",
        help="parameter value, as for `run` (added to a saved trigger's own)",
    )
    add_engine_arguments(p)
    add_host_argument(p)
    add_approval_arguments(p, "rejected (nobody is there to answer), failing that node")
    p.add_argument(
        "--poll", type=float, default=2.0, metavar="SECONDS", help="file check interval (default: 2)"
    )
    p.add_argument("--max-runs", type=int, default=None, metavar="N", help="stop after N runs")
    p.add_argument("--once-at-start", action="store_true", help="run once right away, then wait")
    p.set_defaults(func=run)


def _error(message: str) -> int:
    print(f"pipeline-designer watch: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    from runner.config.sidecar import SidecarError
    from runner.triggers import TriggerError

    out = out or sys.stdout
    yaml_path = Path(args.file)
    if not yaml_path.is_file():
        return _error(f"{yaml_path}: no such file")
    try:
        if args.list:
            return _list(yaml_path, out)
        trigger = _trigger(args, yaml_path)
        if args.save:
            return _save(trigger, yaml_path, out)
        return _watch(args, trigger, yaml_path, out)
    except (TriggerError, SidecarError, ValueError) as exc:
        return _error(str(exc))


def _trigger(args: argparse.Namespace, yaml_path: Path) -> Trigger:
    from runner.triggers import Trigger, load_triggers, stored_path

    params = dict(pairs(args.param, "--param"))
    if args.trigger:
        if args.save:
            raise ValueError("--save goes with --on-change, --every or --cron, not --trigger")
        saved, _problems = load_triggers(yaml_path)
        if args.trigger not in saved:
            known = ", ".join(saved) or "none saved"
            raise ValueError(f"no trigger {args.trigger!r} in {yaml_path} ({known}); see --list")
        found = saved[args.trigger]
        if args.pipeline and args.pipeline != found.pipeline:
            raise ValueError(f"trigger {found.name!r} runs pipeline {found.pipeline!r}; leave out --pipeline")
        return dataclasses.replace(found, params={**found.params, **params})
    if not args.pipeline:
        raise ValueError("--pipeline NAME is needed with --on-change, --every and --cron")
    kind = "on_change" if args.on_change else "every" if args.every else "cron"
    return Trigger(
        name=args.save or "command-line",
        pipeline=args.pipeline,
        kind=kind,
        paths=tuple(stored_path(p, yaml_path) for p in args.on_change or ()),
        every=args.every or "",
        cron=args.cron or "",
        params=params,
    )


def _list(yaml_path: Path, out: IO[str]) -> int:
    from runner.triggers import format_time, load_triggers

    triggers, problems = load_triggers(yaml_path)
    for problem in problems:
        print(f"pipeline-designer watch: warning: skipped {problem}", file=sys.stderr)
    if not triggers:
        print(f"no triggers saved for {yaml_path} (save one with --save NAME)", file=out)
        return 0
    width = max(len(n) for n in triggers)
    for name, trigger in sorted(triggers.items()):
        fire = trigger.next_fire(time.time())
        nxt = f"  next {format_time(fire)}" if fire is not None else ""
        print(f"{name:<{width}}  pipeline {trigger.pipeline}: {trigger.describe()}{nxt}", file=out)
    return 0


def _save(trigger: Trigger, yaml_path: Path, out: IO[str]) -> int:
    from runner.triggers import save_trigger

    where = save_trigger(yaml_path, trigger, replace=trigger.name)
    print(f"saved trigger {trigger.name!r} in {where}", file=out)
    print(f"run it with: pipeline-designer watch {yaml_path} --trigger {trigger.name}", file=out)
    return 0


def _watch(args: argparse.Namespace, trigger: Trigger, yaml_path: Path, out: IO[str]) -> int:
    from runner.config import ConfigLoadError
    from runner.execution.plan import PlanError
    from runner.triggers import ChangeDetector, ChangeSource, PipelineRunner, ScheduleSource, WatchLoop
    from runner.triggers.schedule import Every, every_warning

    if args.poll < 0.1:
        raise ValueError("--poll must be at least 0.1 seconds")
    if args.max_runs is not None and args.max_runs < 1:
        raise ValueError("--max-runs must be at least 1")
    image_map, network = engine_options(args)
    runner = PipelineRunner(
        yaml_path,
        trigger.pipeline,
        params=dict(trigger.params),
        image_map=image_map,
        start_kwargs={
            "backend": args.backend,
            "network": network,
            "pull": args.pull,
            "approve": list(args.approve),
            "approve_all": args.approve_all,
            "hosts": run_hosts(args),
        },
    )
    try:
        runner.plan()  # a typo in the pipeline name fails now, not at the first fire
    except ConfigLoadError as exc:
        print(exc.format(), file=sys.stderr)
        return 2
    except PlanError as exc:
        return _error(str(exc))
    schedule = trigger.schedule()
    if schedule is None:
        paths = trigger.resolved_paths(yaml_path)
        detector = ChangeDetector(paths, settle=SETTLE_S, base=yaml_path.absolute().parent)
        source: Any = ChangeSource(detector, poll_s=args.poll)
    else:
        source = ScheduleSource(schedule, time.time())
        warning = every_warning(schedule.seconds) if isinstance(schedule, Every) else None
        if warning:
            print(f"pipeline-designer watch: warning: {warning}", file=sys.stderr)

    not_ok = 0

    def run_and_report(reason: str) -> None:
        nonlocal not_ok
        summary = runner(reason)
        not_ok += summary.status != "succeeded"
        print(summary.line(), file=out, flush=True)

    loop = WatchLoop(source, run_and_report, max_runs=args.max_runs, once_at_start=args.once_at_start)
    print(f"pipeline {trigger.pipeline}: {source.describe()}; Ctrl-C to stop", file=out, flush=True)
    # SIGTERM and SIGHUP stop the watch like Ctrl-C: a run going on is cancelled, its containers removed.
    with stop_signals() as stopped:
        try:
            loop.run_forever()
        except KeyboardInterrupt:
            with contextlib.suppress(OSError):
                print("stopped", file=out, flush=True)
            return 0 if stopped.signum is not None else 130
    return 1 if not_ok else 0
