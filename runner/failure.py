"""The one line of a failed execution's log that says why it failed.

``last_error_line`` is shared by every view of a failure (the designer's badge tooltip and its
failure view, ``show``), so they all name the same line. In order: the exception line of the
last Python traceback; else the last line that says error / fatal / exception / failed / panic
(the runner's own "error: ..." lines included, its status lines not); else the last stderr line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from runner.metadata import parse_metadata_line

MAX_CHARS = 300
TRACEBACK_HEADER = "Traceback (most recent call last):"
_ERROR_WORDS = re.compile(r"\b(error|fatal|exception|failed|failure|panic|segmentation fault|killed)\b", re.I)


def _traceback_line(lines: list[tuple[str, str]]) -> str | None:
    """The exception line of the last traceback: the first unindented line after its header."""
    starts = [i for i, (_s, text) in enumerate(lines) if text.strip() == TRACEBACK_HEADER]
    if not starts:
        return None
    for _stream, text in lines[starts[-1] + 1 :]:
        if text.strip() and not text[:1].isspace():
            return text.strip()
    return None


def _looks_like_error(stream: str, text: str) -> bool:
    if stream == "runner":
        return text.startswith(("error", "could not start"))
    if stream == "stdout" and parse_metadata_line(text) is not None:
        return False  # a metric named "error_rate" is not a failure
    return bool(_ERROR_WORDS.search(text))


def last_error_line(lines: Iterable[tuple[str, str]]) -> str | None:
    """``lines``: (stream, text) pairs in log order (stream: stdout, stderr or runner)."""
    kept = [(s, t.rstrip()) for s, t in lines]
    found = _traceback_line(kept)
    if found is None:
        found = next((t.strip() for s, t in reversed(kept) if t.strip() and _looks_like_error(s, t)), None)
    if found is None:
        found = next((t.strip() for s, t in reversed(kept) if s == "stderr" and t.strip()), None)
    if found is None:
        return None
    return found if len(found) <= MAX_CHARS else found[: MAX_CHARS - 1] + "…"


__all__ = ["last_error_line"]
