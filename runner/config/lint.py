"""Lint = valohai-yaml's validation and lint plus our pipeline and step checks, sorted by position."""

from __future__ import annotations

from runner.config.checks import pipeline_checks
from runner.config.diagnostics import Diagnostic, sort_key
from runner.config.gc_pause import paused_gc
from runner.config.loader import LoadedConfig
from runner.config.official_lint import official_diagnostics
from runner.config.step_checks import step_checks


def lint(loaded: LoadedConfig) -> list[Diagnostic]:
    with paused_gc():  # valohai-yaml's objects of a large file (runner.config.gc_pause)
        found = {*official_diagnostics(loaded), *pipeline_checks(loaded), *step_checks(loaded)}
    return sorted(found, key=sort_key)
