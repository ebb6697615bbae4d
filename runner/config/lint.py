"""Lint = valohai-yaml's validation and lint plus our pipeline checks, sorted by position."""

from __future__ import annotations

from runner.config.checks import pipeline_checks
from runner.config.diagnostics import Diagnostic, sort_key
from runner.config.loader import LoadedConfig
from runner.config.official_lint import official_diagnostics


def lint(loaded: LoadedConfig) -> list[Diagnostic]:
    found = {*official_diagnostics(loaded), *pipeline_checks(loaded)}
    return sorted(found, key=sort_key)
