"""``pipeline-designer lint FILE [--format text|json]``.

Exit status: 0 no errors (warnings allowed), 1 errors, 2 the file could not be read at all.
"""

from __future__ import annotations

import argparse
import sys

from runner.config import ConfigLoadError, Diagnostic, lint, load
from runner.config.diagnostics import has_errors, to_json, to_text

EXIT_OK, EXIT_ERRORS, EXIT_UNREADABLE = 0, 1, 2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lint",
        help="check a valohai.yaml: schema, valohai-yaml lint and pipeline checks",
        description="Check a valohai.yaml and print every problem as file:line:column. "
        "Exit status: 0 no errors (warnings allowed), 1 errors, 2 the file could not be read.",
    )
    parser.add_argument("file", help="the valohai.yaml (or a folder containing one)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        loaded = load(args.file)
    except ConfigLoadError as exc:
        return _report_load_error(exc, args)
    diagnostics = lint(loaded)
    out = to_json if args.format == "json" else to_text
    print(out(diagnostics, loaded.display_name))
    return EXIT_ERRORS if has_errors(diagnostics) else EXIT_OK


def _report_load_error(exc: ConfigLoadError, args: argparse.Namespace) -> int:
    diagnostic = Diagnostic(
        "error",
        exc.message,
        exc.hint,
        exc.file or args.file,
        exc.line or 1,
        exc.column or 1,
        code="yaml-syntax" if exc.readable else "unreadable",
    )
    if args.format == "json":
        print(to_json([diagnostic], diagnostic.file))
    else:
        print(exc.format(), file=sys.stderr)
    return EXIT_ERRORS if exc.readable else EXIT_UNREADABLE


__all__ = ["register", "run"]
