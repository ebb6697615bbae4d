"""The ``run``, ``history`` and ``hosts`` subcommands run in this process, as a test drives them."""

from __future__ import annotations

import argparse
import io

from runner.cli import history_cmd, hosts_cmd, run_cmd


def cli(*argv: str) -> tuple[int, str]:
    """Run one subcommand line; returns (exit code, what it printed)."""
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    for module in (run_cmd, history_cmd, hosts_cmd):
        module.register(sub)
    args = parser.parse_args(argv)
    out = io.StringIO()
    return args.func(args, out), out.getvalue()
