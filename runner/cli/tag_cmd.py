"""``tag`` and ``note``: label a run so ``history --tag`` and the Runs browser find it again."""

from __future__ import annotations

import argparse
from typing import IO, Any

from runner.cli.store_access import LookupFailed, resolve_target, store_command


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("tag", help="add or remove a run's tags (prints them)")
    p.add_argument("target", metavar="RUN", help="run id (or 'latest')")
    p.add_argument("tags", nargs="*", metavar="TAG", help="tags to add")
    p.add_argument("--remove", action="append", default=[], metavar="TAG", help="tag to remove (repeatable)")
    p.add_argument("--clear", action="store_true", help="remove every tag first")
    p.set_defaults(func=tag)
    p = subparsers.add_parser("note", help="set or show a run's note")
    p.add_argument("target", metavar="RUN", help="run id (or 'latest')")
    p.add_argument("text", nargs="?", help="the note (omit to show it; '' removes it)")
    p.set_defaults(func=note)


def _run_id(store: Any, target: str) -> str:
    if "/" in target:
        raise LookupFailed(f"tags and notes belong to a run: give RUN, not {target!r}")
    run, _row = resolve_target(store, target, need_node=False)
    return str(run["id"])


@store_command
def tag(args: argparse.Namespace, out: IO[str], store: Any, _artifacts: Any) -> int:
    run_id = _run_id(store, args.target)
    current = set() if args.clear else set(store.run_tags(run_id))
    bad = [t for t in args.tags if not t.strip() or "," in t]
    if bad:
        raise LookupFailed(f"a tag is a non-empty word without commas, not {bad[0]!r}")
    tags = store.set_run_tags(run_id, (current | set(args.tags)) - set(args.remove))
    print(f"{run_id}: {', '.join(tags) if tags else '(no tags)'}", file=out)
    return 0


@store_command
def note(args: argparse.Namespace, out: IO[str], store: Any, _artifacts: Any) -> int:
    run_id = _run_id(store, args.target)
    if args.text is not None:
        store.set_run_note(run_id, args.text)
    text = store.run(run_id)["note"]
    print(text if text else f"{run_id}: (no note)", file=out)
    return 0
