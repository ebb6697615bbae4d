"""``run``'s debugging options: ``--debug [NODE]`` and ``--capture-locals``."""

from __future__ import annotations

import argparse
from collections.abc import Iterable


def add_debug_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--debug",
        action="append",
        nargs="?",
        const="",
        default=[],
        metavar="NODE",
        help="run the step (--step) or NODE (--pipeline; repeatable) with its Python waiting for a "
        "debugger (debugpy, Debug Adapter Protocol); prints `debugger listening on 127.0.0.1:PORT`",
    )
    p.add_argument(
        "--pause-before",
        action="append",
        default=[],
        metavar="NODE",
        help="a run-time breakpoint: NODE waits before it starts, its inputs staged (open a shell on "
        "it with `shell RUN/NODE`), until you continue it at the prompt (repeatable)",
    )
    p.add_argument(
        "--capture-locals",
        action="store_true",
        help="at an uncaught Python exception, record each frame's local variables (reprs, capped) "
        "for the failure view",
    )


def chosen_debug_nodes(
    given: list[str], nodes: Iterable[str], pipeline: str | None, network: str | None = None
) -> tuple[str, ...]:
    """``--debug`` (the step's one node) or ``--debug NODE`` of a pipeline."""
    nodes = list(nodes)
    if not given:
        return ()
    if network == "none":
        raise ValueError(
            "--debug needs a network: the debugger's port is published on 127.0.0.1 (drop --network none)"
        )
    if pipeline is None:
        if any(given):
            raise ValueError("--debug takes no NODE with --step (the step is the node)")
        return tuple(nodes)
    if not all(given):
        raise ValueError(f"--debug needs a NODE with --pipeline (nodes: {', '.join(nodes)})")
    unknown = sorted(set(given) - set(nodes))
    if unknown:
        raise ValueError(f"--debug: no node {', '.join(unknown)} (nodes: {', '.join(nodes)})")
    return tuple(dict.fromkeys(given))
