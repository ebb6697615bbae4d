"""Entry point of the ``pipeline-designer`` command.

``pipeline-designer [FILE]`` opens the designer; ``pipeline-designer COMMAND ...`` runs a
headless subcommand from ``runner.cli`` without importing Qt.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from runner.cli.main import build_parser, command_names


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    first = next((a for a in args_list if not a.startswith("-")), None)
    if first in command_names(parser) or any(a in ("-h", "--help", "--version") for a in args_list[:1]):
        args = parser.parse_args(args_list)
        if args.command is None:
            parser.print_help()
            return 0
        return int(args.func(args) or 0)
    return _gui(args_list)


def _gui(args_list: list[str]) -> int:
    gui = argparse.ArgumentParser(prog="pipeline-designer", description="Open the designer window.")
    gui.add_argument("file", nargs="?", help="a valohai.yaml (or a folder containing one) to open")
    args = gui.parse_args(args_list)
    from designer.app import run_gui  # Qt is imported only here

    return run_gui(args.file)


if __name__ == "__main__":
    sys.exit(main())
