"""What the store-reading commands share: opening the store, finding ``RUN[/NODE]``, errors.

A command decorated with ``store_command`` gets ``(args, out, store, artifacts)``; raising
``LookupFailed`` prints ``pipeline-designer COMMAND: error: ...`` and exits 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import IO, Any

from runner.metadata import iso_time

Command = Callable[[argparse.Namespace, IO[str], Any, Any], int]


class LookupFailed(Exception):
    pass


def open_home() -> Any:
    from runner.api import open_store

    return open_store()


def iso_or_none(value: float | None) -> str | None:
    return iso_time(value) if value else None


def resolve_target(store: Any, target: str, need_node: bool) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``RUN`` or ``RUN/NODE`` (``RUN`` may be ``latest``) -> (run row, execution row or None)."""
    run_id, slash, node = target.partition("/")
    run = store.run(run_id)
    if run is None:
        raise LookupFailed(f"no run {run_id!r} (see `pipeline-designer history`)")
    if need_node and not node:
        raise LookupFailed(f"give RUN/NODE, e.g. {run['id']}/<node>")
    if not slash or not node:
        return run, None
    row = store.execution(run["id"], node)
    if row is None:
        nodes = ", ".join(e["node"] for e in store.executions(run["id"])) or "none"
        raise LookupFailed(f"run {run['id']} has no node {node!r} (nodes: {nodes})")
    return run, row


def store_command(func: Command) -> Callable[..., int]:
    def wrapper(args: argparse.Namespace, out: IO[str] | None = None) -> int:
        _home, store, artifacts = open_home()
        try:
            return int(func(args, out or sys.stdout, store, artifacts))
        except LookupFailed as exc:
            print(
                f"pipeline-designer {args.command if hasattr(args, 'command') else ''}: error: {exc}",
                file=sys.stderr,
            )
            return 1
        finally:
            store.close()

    wrapper.__name__ = func.__name__
    return wrapper
