"""``gc``: delete old runs and the files nothing needs any more (runner.store.gc)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import IO, Any

from runner.cli.store_access import LookupFailed, open_home, store_command


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "gc",
        help="delete old runs, then every stored file no remaining run uses",
        description="Delete the runs chosen (a run in progress never), then every file of the artifact "
        "store that no remaining run references, temp files and work folders left by killed runs, and "
        "the containers of deleted and killed runs (on the local engine and on the hosts they used). "
        "Without a choice of runs only those leftovers go. Safe while other runs go on.",
    )
    p.add_argument("--older-than", type=float, metavar="DAYS", help="delete runs started more than DAYS ago")
    p.add_argument(
        "--keep-last",
        type=int,
        metavar="N",
        help="keep the newest N runs of each pipeline (delete the others)",
    )
    p.add_argument("--run", action="append", default=[], metavar="RUN", help="delete this run (repeatable)")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would be deleted and freed (containers too), delete nothing",
    )
    p.add_argument(
        "--verify",
        action="store_true",
        help="check every stored file's content against its hash (no deleting)",
    )
    p.set_defaults(func=gc)


def gc(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    if not args.verify and not args.dry_run:
        _make_room()
    return _gc(args, out)


def _make_room() -> None:
    """A disk too full to open the store: killed runs' temp files go first (runner.store.gc)."""
    from runner.store import gc as collector
    from runner.store.health import StoreFull
    from runner.store.paths import data_dir

    try:
        _home, store, _artifacts = open_home()
    except StoreFull:
        freed = collector.make_room(data_dir())
        print(
            f"pipeline-designer gc: the disk was too full to open the run store; removed {_mb(freed)} "
            "of temp files left by killed runs",
            file=sys.stderr,
        )
        return
    store.close()


@store_command
def _gc(args: argparse.Namespace, out: IO[str], store: Any, artifacts: Any) -> int:
    from runner.store import gc as collector

    if args.verify:
        return _verify(out, collector.verify(store, artifacts))
    if args.keep_last is not None and args.keep_last < 0:
        raise LookupFailed("--keep-last: give 0 or more")
    if args.older_than is not None and args.older_than < 0:
        raise LookupFailed("--older-than: give 0 or more days")
    home = store.path.parent
    try:
        chosen = collector.plan(store, artifacts, home, args.older_than, args.keep_last, args.run)
    except collector.GcError as exc:
        raise LookupFailed(str(exc)) from None
    from runner.execution import leftovers

    containers = leftovers.sweep(store, (r["id"] for r in chosen.runs), remove=not args.dry_run)
    if args.dry_run:
        _report(out, chosen, "would delete", "would remove")
        _containers(out, containers, "would remove")
        print(f"would free {_mb(chosen.freed)}; run without --dry-run to do it", file=out)
        return 0
    from runner.execution.factory import recover_interrupted
    from runner.store.health import StoreFull

    with contextlib.suppress(StoreFull):  # what killed runs left in work folders
        recover_interrupted(store, home)
    done = collector.apply(store, artifacts, home, chosen)
    _report(out, done, "deleted", "removed")
    _containers(out, containers, "removed")
    print(f"freed {_mb(done.freed)}", file=out)
    return 0


def _containers(out: IO[str], found: Any, verb: str) -> None:
    """Containers of deleted or killed runs, per engine; hosts that could not be reached."""
    if found.found:
        where = ", ".join(f"{len(names)} on {place}" for place, names in found.found.items())
        print(f"{verb} {_count(found.count, 'container')} of deleted or killed runs ({where})", file=out)
    for host, why in found.unreachable.items():
        print(f"could not reach host {host} ({why}): its leftovers go when a run next connects", file=out)


def _report(out: IO[str], what: Any, runs_verb: str, files_verb: str) -> None:
    if what.runs:
        ids = [r["id"] for r in what.runs]
        shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
        print(f"{runs_verb} {_count(len(ids), 'run')}: {shown}", file=out)
    for run_id in what.spared:
        print(f"kept run {run_id}: it is in progress", file=out)
    parts = [
        f"{_count(len(what.blobs), 'stored file')} no remaining run uses ({_mb(_sum(what.blobs))})",
        f"{_count(len(what.temps), 'temp file')} left by killed runs ({_mb(_sum(what.temps))})",
        f"{_count(len(what.folders), 'log or work folder')} ({_mb(_sum(what.folders))})",
    ]
    print(f"{files_verb} " + ", ".join(parts), file=out)


def _verify(out: IO[str], found: Any) -> int:
    print(f"checked {_count(found.checked, 'stored file')} ({_mb(found.size)})", file=out)
    for sha, runs in found.damaged.items():
        print(
            f"damaged: {sha} (its content does not match its hash; moved to damaged/): {_who(runs)}", file=out
        )
    for sha, runs in found.missing.items():
        print(f"missing: {sha}: {_who(runs)}", file=out)
    if found.damaged or found.missing:
        print("runs that lose a file re-run the nodes that need it instead of reusing them", file=out)
        return 1
    print("every stored file is intact", file=out)
    return 0


def _who(runs: list[str]) -> str:
    return "used by run " + ", ".join(runs) if runs else "no run uses it"


def _sum(items: list[Any]) -> int:
    return sum(d.size for d in items)


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def _mb(n: int) -> str:
    from runner.store.gc import size_text

    return size_text(n)
