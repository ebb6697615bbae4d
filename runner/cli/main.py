"""The headless part of the ``pipeline-designer`` command line."""

from __future__ import annotations

import argparse
import functools
import importlib
from types import ModuleType

from runner import __version__
from runner.cli.process_exit import exit_process

__all__ = ["COMMANDS", "build_parser", "command_names", "exit_process", "run_headless"]

# Each subcommand and the module of runner.cli that registers it, in the order --help lists them.
# Only the module of the command being run is imported, so `lint` or `run` does not pay for
# every other command's imports; --help, completion and a mistyped command build the whole
# parser. tests/runner/cli/test_lazy_commands.py checks this table against the modules.
COMMANDS: dict[str, str] = {
    "lint": "lint_cmd",
    "graph": "graph_cmd",
    "run": "run_cmd",
    "watch": "watch_cmd",
    "history": "history_cmd",
    "show": "history_cmd",
    "metrics": "history_cmd",
    "outputs": "history_cmd",
    "tag": "tag_cmd",
    "note": "tag_cmd",
    "reproduce": "reproduce_cmd",
    "diff": "diff_cmd",
    "lineage": "lineage_cmd",
    "export": "archive_cmd",
    "import": "archive_cmd",
    "gc": "gc_cmd",
    "store": "store_cmd",
    "hosts": "hosts_cmd",
    "shell": "shell_cmd",
    "settings": "settings_cmd",
    "completion": "completion_cmd",
}


def command_module(name: str) -> ModuleType:
    return importlib.import_module(f"runner.cli.{name}")


@functools.cache  # the entry point asks for it to tell a command from a file, then runs it
def build_parser(prog: str = "pipeline-designer", only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser: every subcommand, or only the one named ``only``."""
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
    modules = [COMMANDS[only]] if only in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for module in modules:
        command_module(module).register(subparsers)
    return parser


def run_headless(args_list: list[str]) -> int:
    """Parse and run one headless subcommand: the one place every subcommand's errors end.

    A closed output pipe (``history --json | head -1``) ends it quietly with the status a shell
    gives a program SIGPIPE ended (runner.cli.signals); a store that cannot be used (too new,
    damaged, on a full disk: runner.store.health) prints what to do and exits 2.
    """
    import sys

    from runner.cli.signals import EXIT_BROKEN_PIPE, silence

    try:
        try:
            first = args_list[0] if args_list else None
            parser = build_parser(only=first if first in COMMANDS else None)
            args = parser.parse_args(args_list)  # --help and --version exit from in here
            if args.command is None:
                parser.print_help()
                return 0
            try:
                return int(args.func(args) or 0)
            except Exception as exc:
                if not _store_unusable(exc):
                    raise
                print(f"pipeline-designer: error: {exc}", file=sys.stderr)
                return 2
        finally:
            sys.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
    except BrokenPipeError:
        silence(sys.stdout)
        return EXIT_BROKEN_PIPE


def _store_unusable(exc: Exception) -> bool:
    """A StoreError or DiskFull (runner.store): only a command that opened the store can raise
    them, so a command that never did (``lint``) does not import the store to find out."""
    import sys

    schema, space = sys.modules.get("runner.store.schema"), sys.modules.get("runner.store.space")
    return (schema is not None and isinstance(exc, schema.StoreError)) or (
        space is not None and isinstance(exc, space.DiskFull)
    )


def command_names(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()
