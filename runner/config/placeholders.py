"""Where a command's parameter placeholders stand in the shell's quoting.

valohai-yaml replaces ``{parameter-value:NAME}`` (and ``{parameter:NAME}``, ``{parameters}``) with
values quoted by ``shlex.quote``: single quotes. Inside double quotes written by the user, single
quotes are ordinary characters, so ``$(...)`` and backticks in a value would run. The platform
substitutes the same way, so we keep the substitution and warn (lint), and refuse values that came
from another node's output for such a placeholder (the runner).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PLACEHOLDER = re.compile(r"\{(parameter-value|parameter):([^{}]+)\}|\{(parameters|params)\}")
# What a double-quoted shell string still expands or ends on.
DOUBLE_QUOTE_ACTIVE = frozenset('$`"\\')


@dataclass(frozen=True)
class QuotedPlaceholder:
    text: str  # "{parameter-value:msg}"
    parameter: str | None  # "msg"; None for {parameters}, which stands for all of them
    offset: int  # where it starts in the command line


def double_quoted_placeholders(command: str) -> list[QuotedPlaceholder]:
    """The placeholders of one command line that sit inside a double-quoted string."""
    found: list[QuotedPlaceholder] = []
    inside = _double_quoted_spans(command)
    for match in _PLACEHOLDER.finditer(command):
        if any(start <= match.start() < end for start, end in inside):
            name = match.group(2).strip() if match.group(2) else None
            found.append(QuotedPlaceholder(match.group(0), name, match.start()))
    return found


def applies_to(placeholder: QuotedPlaceholder, parameter: str) -> bool:
    return placeholder.parameter is None or placeholder.parameter == parameter


def _double_quoted_spans(line: str) -> list[tuple[int, int]]:
    """(start, end) of each "..." region, following sh's rules for quotes and backslashes."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(line)
    while i < n:
        char = line[i]
        if char == "\\":
            i += 2
        elif char == "'":
            end = line.find("'", i + 1)
            i = n if end < 0 else end + 1
        elif char == '"':
            j = i + 1
            while j < n and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            spans.append((i, min(j, n)))
            i = j + 1
        else:
            i += 1
    return spans
