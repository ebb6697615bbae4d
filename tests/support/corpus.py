"""Shared helpers of the corpus tests: the two corpora, their expectations, and the
official verdict of valohai-yaml 0.61.0 computed the way its README table means it."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from tests.support.paths import DATA_DIR, SHARED_CORPUS

SHARED_DIR = SHARED_CORPUS

OFFICIAL_VERDICTS = ("valid", "valid+warn", "lint-error", "parse-error")


def data_files() -> list[Path]:
    return sorted(DATA_DIR.glob("*.yaml"))


def data_expectations() -> dict[str, dict[str, Any]]:
    return json.loads((DATA_DIR / "expectations.json").read_text(encoding="utf-8"))


def shared_expectations() -> dict[str, str]:
    """``{relative path: verdict}`` from the table in ../shared/corpus/README.md."""
    readme = SHARED_DIR / "README.md"
    if not readme.is_file():
        return {}
    table: dict[str, str] = {}
    for line in readme.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `([^`]+\.ya?ml)` \|.*\| ([a-z+-]+) \|$", line.strip())
        if match:
            table[match.group(1)] = match.group(2)
    return table


def shared_files() -> list[Path]:
    return sorted(SHARED_DIR / name for name in shared_expectations())


def all_files() -> list[Path]:
    return data_files() + shared_files()


def file_id(path: Path) -> str:
    try:
        return str(path.relative_to(DATA_DIR))
    except ValueError:
        return "shared/" + str(path.relative_to(SHARED_DIR))


def official_verdict(path: Path) -> str:
    """valid | valid+warn | lint-error | parse-error, from ``valohai_yaml.lint.lint_file``.

    ``lint_file`` stops at the first failing phase (YAML, schema, ``Config.parse``) and
    only then runs ``Config.lint``. Its errors are a parse error when one of the first
    three phases fails on this file, else a lint error.
    """
    from valohai_yaml.lint import lint_file
    from valohai_yaml.objs import Config
    from valohai_yaml.utils import read_yaml
    from valohai_yaml.validation import get_validator

    result = lint_file(str(path))
    if not result.error_count:
        return "valid+warn" if result.warning_count else "valid"
    try:
        with open(path, encoding="utf-8") as handle:
            data = read_yaml(handle)
        if any(True for _ in get_validator().iter_errors(data)):
            return "parse-error"
        Config.parse(data)
    except Exception:
        return "parse-error"
    return "lint-error"


@functools.lru_cache(maxsize=512)  # the same originals are checked by many edit tests
def official_text_valid(text: str) -> bool:
    """valohai-yaml finds no errors in this text (warnings allowed)."""
    from valohai_yaml.lint import lint

    return lint(text, ansi_colors=False).error_count == 0
