"""``export RUN --to FILE.tar`` and ``import FILE.tar``: a run as one self-contained archive."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import IO, Any

from runner import __version__
from runner.cli.store_access import LookupFailed, resolve_target, store_command
from runner.store.archive import ArchiveError, export_run, import_run


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("export", help="write a run (records, logs, outputs, code) to one archive")
    p.add_argument("target", metavar="RUN", help="run id (or 'latest')")
    p.add_argument(
        "--to",
        required=True,
        type=Path,
        metavar="FILE.tar",
        help="the archive (.tar.gz: compressed; '-': an uncompressed tar on standard output)",
    )
    p.set_defaults(func=export)
    p = subparsers.add_parser("import", help="add a run exported elsewhere to this run history")
    p.add_argument("source", type=Path, metavar="FILE.tar")
    p.set_defaults(func=import_)


@store_command
def export(args: argparse.Namespace, out: IO[str], store: Any, artifacts: Any) -> int:
    run, _row = resolve_target(store, args.target, need_node=False)
    to_stdout = str(args.to) == "-"
    try:
        if to_stdout:  # the archive is the output: the summary goes to stderr
            out.flush()
            counts = export_run(store, artifacts, run["id"], sys.stdout.buffer, __version__)
            sys.stdout.buffer.flush()
        else:
            counts = export_run(store, artifacts, run["id"], args.to, __version__)
    except (ArchiveError, OSError) as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        raise LookupFailed(str(exc)) from None
    print(
        f"exported run {run['id']} to {'standard output' if to_stdout else args.to}: "
        f"{counts['executions']} execution(s), {counts['blobs']} file(s), {counts['logs']} log(s)",
        file=sys.stderr if to_stdout else out,
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
