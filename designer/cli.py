"""Entry point of the ``pipeline-designer`` command.

``pipeline-designer [FILE]`` opens the designer; ``pipeline-designer COMMAND ...`` runs a
headless subcommand from ``runner.cli`` without importing Qt.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

TYPE_CHECKING = False  # not typing's: importing typing is a start-up cost this script avoids
if TYPE_CHECKING:
    import argparse


def entry() -> None:
    """The ``pipeline-designer`` program: a headless command's process ends as soon as the
    command has (runner.cli.process_exit); the designer window's the ordinary way. With the
    resident runner on, ``run`` and ``lint`` go to a warm process (runner.resident.client, which
    imports only the standard library) and this process only waits for their status."""
    import os

    from runner.resident.client import forward

    args_list = sys.argv[1:]
    served = forward(args_list)
    if served is not None:
        os._exit(served)
    from runner.cli.main import exit_process

    if not _headless(args_list):
        sys.exit(main(args_list))
    try:
        code: object = main(args_list)
    except SystemExit as exc:  # argparse: --help, --version, a usage error
        code = exc.code
    exit_process(code)


def main(argv: Sequence[str] | None = None) -> int:
    from runner.cli.main import run_headless

    args_list = list(sys.argv[1:] if argv is None else argv)
    if _headless(args_list):
        return run_headless(args_list)
    return _gui(args_list)


def _headless(args_list: list[str]) -> bool:
    from runner.cli.main import COMMANDS

    first = next((a for a in args_list if not a.startswith("-")), None)
    return first in COMMANDS or any(a in ("-h", "--help", "--version") for a in args_list[:1])


def gui_parser() -> argparse.ArgumentParser:
    import argparse

    gui = argparse.ArgumentParser(prog="pipeline-designer", description="Open the designer window.")
    gui.add_argument("file", nargs="?", help="a valohai.yaml (or a folder containing one) to open")
    gui.add_argument(
        "--self-test",
        action="store_true",
        help="open FILE (default: the bundled example) offscreen, lint it and quit: exit 0 when both work",
    )
    return gui


def _gui(args_list: list[str]) -> int:
    args = gui_parser().parse_args(args_list)
    if args.self_test:
        from designer.app import run_self_test  # Qt is imported only here

        return run_self_test(args.file)
    from designer.app import run_gui  # Qt is imported only here

    return run_gui(args.file)


if __name__ == "__main__":
    entry()
