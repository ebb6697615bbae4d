"""Text on screen that gives no pipeline model, and why: the document's *draft*.

A YAML syntax error, or YAML that is no valohai.yaml: the user's text is kept as they typed it
(see ``PipelineDocument``), and one diagnostic says what keeps it from parsing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from designer.document.model_api import ConfigLoadError, Diagnostic, LoadedConfig, lint


@dataclass(frozen=True)
class Draft:
    """Text on screen that gives no pipeline model, and the one diagnostic that says why."""

    text: str
    problem: Diagnostic
    loaded: LoadedConfig | None = None  # set when the YAML parsed but is no valohai.yaml


def syntax_problem(exc: ConfigLoadError, path: Path | None) -> Diagnostic:
    return Diagnostic(
        "error",
        exc.message,
        hint=exc.hint,
        file=str(path) if path else "<text>",
        line=exc.line or 1,
        column=exc.column or 1,
        code="yaml-syntax",
    )


def shape_problem(loaded: LoadedConfig) -> Diagnostic:
    found = [d for d in lint(loaded) if d.severity == "error"]
    if found:
        return found[0]
    reason = loaded.parse_error or "the top level must be a list of steps and pipelines"
    return Diagnostic("error", f"not a valid valohai.yaml: {reason}", file=loaded.display_name, code="shape")
