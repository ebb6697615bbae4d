"""The headless part of the ``pipeline-designer`` command line."""

from __future__ import annotations

import argparse
import functools

from runner import __version__
from runner.cli import (
    archive_cmd,
    completion_cmd,
    diff_cmd,
    gc_cmd,
    graph_cmd,
    history_cmd,
    hosts_cmd,
    lineage_cmd,
    lint_cmd,
    reproduce_cmd,
    run_cmd,
    settings_cmd,
    shell_cmd,
    store_cmd,
    tag_cmd,
    watch_cmd,
)

HEADLESS_COMMANDS = (
    lint_cmd,
    graph_cmd,
    run_cmd,
    watch_cmd,
    history_cmd,
    tag_cmd,
    reproduce_cmd,
    diff_cmd,
    lineage_cmd,
    archive_cmd,
    gc_cmd,
    store_cmd,
    hosts_cmd,
    shell_cmd,
    settings_cmd,
    completion_cmd,
)


@functools.cache  # the entry point asks for it to tell a command from a file, then runs it
def build_parser(prog: str = "pipeline-designer") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Design, lint and run valohai.yaml ML pipelines. "
        "Without a subcommand, opens the designer window (on FILE if given).",
        epilog="The designer window: pipeline-designer [FILE] (a valohai.yaml or a folder holding one); "
        "pipeline-designer --self-test opens the bundled example offscreen, lints it and exits 0. "
        "Shell completion: pipeline-designer completion bash|zsh.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in HEADLESS_COMMANDS:
        module.register(subparsers)
    return parser


def run_headless(args_list: list[str]) -> int:
    """Parse and run one headless subcommand: the one place every subcommand's errors end.

    A closed output pipe (``history --json | head -1``) ends it quietly with the status a shell
    gives a program SIGPIPE ended (runner.cli.signals); a store that cannot be used (too new,
    damaged, on a full disk: runner.store.health) prints what to do and exits 2.
    """
    import sys

    from runner.cli.signals import EXIT_BROKEN_PIPE, silence
    from runner.store.schema import StoreError
    from runner.store.space import DiskFull

    try:
        try:
            parser = build_parser()
            args = parser.parse_args(args_list)  # --help and --version exit from in here
            if args.command is None:
                parser.print_help()
                return 0
            try:
                return int(args.func(args) or 0)
            except (StoreError, DiskFull) as exc:
                print(f"pipeline-designer: error: {exc}", file=sys.stderr)
                return 2
        finally:
            sys.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
    except BrokenPipeError:
        silence(sys.stdout)
        return EXIT_BROKEN_PIPE


def command_names(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()
