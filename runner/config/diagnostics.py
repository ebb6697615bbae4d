"""Lint results as data. Formatting for a terminal or JSON lives here; the GUI does its own."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

SEVERITIES = ("error", "warning", "hint")
# Bump only for incompatible changes of the JSON shape documented in docs/cli-json.md.
JSON_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # "error" | "warning" | "hint"
    message: str  # what is wrong, one plain sentence
    hint: str = ""  # what to change
    file: str = "<text>"
    line: int = 1
    column: int = 1
    path: tuple[str | int, ...] = field(default=())  # config path, e.g. (3, "pipeline", "edges", 2)
    code: str = ""  # stable identifier, e.g. "edge-unknown-node"
    source: str = "pipeline-designer"  # or "valohai-yaml"

    def format(self) -> str:
        text = f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"
        if self.hint:
            text += f"\n    → {self.hint}"
        return text

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["path"] = list(self.path)
        return data


def sort_key(diagnostic: Diagnostic) -> tuple[int, int, int, str]:
    return (diagnostic.line, diagnostic.column, SEVERITIES.index(diagnostic.severity), diagnostic.message)


def counts(diagnostics: Iterable[Diagnostic]) -> dict[str, int]:
    counter = Counter(d.severity for d in diagnostics)
    return {severity: counter.get(severity, 0) for severity in SEVERITIES}


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


def to_text(diagnostics: list[Diagnostic], file: str) -> str:
    lines = [d.format() for d in diagnostics]
    c = counts(diagnostics)
    summary = f"{file}: {c['error']} error(s), {c['warning']} warning(s), {c['hint']} hint(s)"
    lines.append(summary if diagnostics else f"{file}: no problems found")
    return "\n".join(lines)


def to_json(diagnostics: list[Diagnostic], file: str) -> str:
    return json.dumps(
        {
            "format_version": JSON_FORMAT_VERSION,
            "file": file,
            "valid": not has_errors(diagnostics),
            "counts": counts(diagnostics),
            "messages": [d.to_json() for d in diagnostics],
        },
        indent=2,
    )
