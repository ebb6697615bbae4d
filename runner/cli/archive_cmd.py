"""``export RUN --to FILE.tar`` and ``import FILE.tar``: a run as one self-contained archive."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO, Any

from runner import __version__
from runner.cli.store_access import LookupFailed, resolve_target, store_command
from runner.store.archive import ArchiveError, export_run, import_run


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("export", help="write a run (records, logs, outputs, code) to one archive")
    p.add_argument("target", metavar="RUN", help="run id (or 'latest')")
    p.add_argument(
        "--to", required=True, type=Path, metavar="FILE.tar", help="the archive (.tar.gz: compressed)"
    )
    p.set_defaults(func=export)
    p = subparsers.add_parser("import", help="add a run exported elsewhere to this run history")
    p.add_argument("source", type=Path, metavar="FILE.tar")
    p.set_defaults(func=import_)


@store_command
def export(args: argparse.Namespace, out: IO[str], store: Any, artifacts: Any) -> int:
    run, _row = resolve_target(store, args.target, need_node=False)
    try:
        counts = export_run(store, artifacts, run["id"], args.to, __version__)
    except (ArchiveError, OSError) as exc:
        raise LookupFailed(str(exc)) from None
    print(
        f"exported run {run['id']} to {args.to}: {counts['executions']} execution(s), "
        f"{counts['blobs']} file(s), {counts['logs']} log(s)",
        file=out,
    )
    return 0


@store_command
def import_(args: argparse.Namespace, out: IO[str], store: Any, artifacts: Any) -> int:
    try:  # logs go where this store keeps them: <data folder>/logs/<run>/
        run_id = import_run(store, artifacts, args.source, Path(store.path).parent / "logs")
    except (ArchiveError, OSError) as exc:
        raise LookupFailed(str(exc)) from None
    print(f"imported run {run_id} (see `pipeline-designer show {run_id}`)", file=out)
    return 0
