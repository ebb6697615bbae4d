"""The headless part of the ``pipeline-designer`` command line."""

from __future__ import annotations

import argparse

from runner import __version__
from runner.cli import (
    archive_cmd,
    completion_cmd,
    diff_cmd,
    graph_cmd,
    history_cmd,
    hosts_cmd,
    lineage_cmd,
    lint_cmd,
    reproduce_cmd,
    run_cmd,
    settings_cmd,
    shell_cmd,
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
    hosts_cmd,
    shell_cmd,
    settings_cmd,
    completion_cmd,
)


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


def command_names(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()
