"""``store check`` and ``store repair``: the run store file itself (runner.store.repair)."""

from __future__ import annotations

import argparse
import sys
from typing import IO

from runner.store.paths import data_dir


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("store", help="check or repair the run store file (runs.sqlite3)")
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("check", help="say whether the run store is intact (SQLite's integrity check)")
    repair = sub.add_parser(
        "repair",
        help="salvage what can be read of a damaged run store into a fresh one",
        description="Copy every row SQLite can still read into a fresh store at the current schema, "
        "rebuild the metric index, move the damaged file aside as runs.sqlite3.damaged-TIME (never "
        "deleted) and put the fresh store in its place. Stop runs and the designer first.",
    )
    repair.add_argument("--force", action="store_true", help="rebuild the store even if it checks out intact")
    p.set_defaults(func=store)


def store(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    from runner.store.repair import check, repair

    out = out or sys.stdout
    path = data_dir() / "runs.sqlite3"
    if not path.exists():
        print(f"{path}: no run store here yet (it is made by the first run)", file=out)
        return 0
    if args.action == "check":
        verdict = "ok" if path.stat().st_size else "the file is empty"
        verdict = check(path) if verdict == "ok" else verdict
        if verdict == "ok":
            print(f"{path}: intact", file=out)
            return 0
        print(f"{path}: the run store is damaged ({verdict}); run `pipeline-designer store repair`", file=out)
        return 1
    done = repair(path, force=args.force)
    if done.healthy:
        print(f"{path}: intact, nothing to repair (--force rebuilds it anyway)", file=out)
        return 0
    if done.unreadable:
        print(
            f"nothing could be read of the damaged store ({done.unreadable}); started a fresh one", file=out
        )
    else:
        counts = ", ".join(
            f"{done.rows.get(t, 0)} {t}" for t in ("runs", "executions", "outputs", "metadata")
        )
        print(f"salvaged {counts} (rows) into a fresh store at {path}", file=out)
    if done.partial:
        print(f"some rows of {', '.join(done.partial)} could not be read and are lost", file=out)
    print(f"the damaged file is kept as {done.aside}", file=out)
    return 0
