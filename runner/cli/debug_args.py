"""``run``'s debugging options: ``--debug [NODE]`` (with ``--debugger pycharm``, ``--debug-connect``,
``--pycharm-build``), ``--pause-before`` and ``--capture-locals``."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any


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
        "--debugger",
        choices=("debugpy", "pycharm"),
        default="debugpy",
        help="with --debug: debugpy (any Debug Adapter Protocol client attaches to it), or pycharm: "
        "the node connects to PyCharm's Python Debug Server (its run configuration is written into "
        "the project's .idea/runConfigurations)",
    )
    p.add_argument(
        "--debug-connect",
        metavar="[HOST:]PORT",
        help="with --debugger pycharm: where PyCharm's debug server listens (default: the port of the "
        "node's run configuration, else 5679, on 127.0.0.1)",
    )
    p.add_argument(
        "--pycharm-build",
        metavar="BUILD",
        help="with --debugger pycharm: the PyCharm build to match (Help > About, e.g. 263.7307.50; "
        "default: the installed PyCharm's, else $PIPELINE_DESIGNER_PYCHARM_BUILD, else the newest)",
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


def pycharm_target(args: argparse.Namespace, root: Path, debug_nodes: tuple[str, ...], out: IO[str]) -> Any:
    """``--debugger pycharm``: the run configuration written for each debugged node, the
    pydevd-pycharm version chosen and at hand; None for debugpy. Raises ValueError."""
    from runner.api import data_dir
    from runner.debug.pycharm import DEFAULT_PORT, PyCharmTarget, parse_connect
    from runner.debug.pycharm_config import configuration_name, configured_port, write_pycharm_config
    from runner.debug.pydevd_package import ready_target

    if args.debugger != "pycharm":
        if args.debug_connect or args.pycharm_build:
            raise ValueError("--debug-connect and --pycharm-build are for --debugger pycharm")
        return None
    if not debug_nodes:
        raise ValueError("--debugger pycharm goes with --debug (which node to debug)")
    if args.debug_connect:
        host, port = parse_connect(args.debug_connect)
    else:
        host, port = "127.0.0.1", configured_port(root, debug_nodes[0]) or DEFAULT_PORT
    target = ready_target(
        PyCharmTarget(host, port, args.pycharm_build or ""),
        data_dir(),
        lambda text: print(f"pipeline-designer run: {text}", file=out, flush=True),
    )
    print(f"pydevd-pycharm {target.build} ({target.why})", file=out)
    for node in debug_nodes:
        try:
            path = write_pycharm_config(root, node, port, "localhost" if host == "127.0.0.1" else host)
        except (OSError, ValueError, RuntimeError) as exc:  # AttachConfigError: the file is kept
            print(f"pipeline-designer run: warning: {exc}", file=out)
            continue
        name = configuration_name(node)
        print(f"PyCharm: “{name}” (Python Debug Server, port {port}) is in {path}", file=out)
    return target
