"""Checks shared by the edit tests: which lines an edit changed, and the official verdict."""

from __future__ import annotations

import difflib

from valohai_yaml.lint import lint


def diff(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed lines, added lines) between two texts."""
    lines = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0))
    body = [x for x in lines if not x.startswith(("---", "+++", "@@"))]
    return [x[1:] for x in body if x.startswith("-")], [x[1:] for x in body if x.startswith("+")]


def assert_valid(text: str) -> None:
    """valohai-yaml's own schema validation and lint find no error."""
    errors = [m["message"] for m in lint(text, ansi_colors=False).messages if m["type"] == "error"]
    assert errors == []
