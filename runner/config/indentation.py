"""How a text indents: nested mappings under their key, and list dashes under their key.

Read from the lines themselves (the most common distance wins), for the whole file (how
ruamel.yaml's fallback dump indents) and for the one top-level item an edit patches (how
lines inserted there are indented: a file whose sections are indented differently keeps
each section's own way).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from itertools import pairwise

from runner.config.render import Style

_KEY_LINE = re.compile(r"^( *)(?:- +)?[^\s#-][^:#]*:\s*(?:#.*)?$")
_ITEM_LINE = re.compile(r"^( *)- ")
_ANY_KEY = re.compile(r"^( *)(?:- +)?[^\s#][^:#]*:")


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip() and not line.lstrip().startswith("#")]


def indent_counts(lines: list[str]) -> tuple[Counter[int], Counter[int]]:
    """(how often each mapping indent occurs, how often each dash offset occurs)."""
    mapping: Counter[int] = Counter()
    offset: Counter[int] = Counter()
    for line, nxt in pairwise(lines):
        match = _KEY_LINE.match(line)
        if not match:
            continue
        dash = line.lstrip(" ").startswith("- ")
        key_col = len(match.group(1)) + (len(line.lstrip(" ")) - len(line.lstrip(" -")) if dash else 0)
        if item := _ITEM_LINE.match(nxt):
            offset[len(item.group(1)) - key_col] += 1
        elif key := _ANY_KEY.match(nxt):
            mapping[len(key.group(1)) - key_col] += 1
    return mapping, offset


def _best_mapping(mapping: Counter[int]) -> int | None:
    return next((m for m, _ in mapping.most_common() if m > 0), None)


def _best_offset(offset: Counter[int]) -> int | None:
    return next((o for o, _ in offset.most_common() if o >= 0), None)


def guess_indent(text: str) -> tuple[int, int]:
    """The file's usual mapping indent and the offset of ``-`` under a key (most common wins)."""
    lines = _lines(text)
    mapping, offset = indent_counts(lines)
    root = _ITEM_LINE.match(lines[0]) if lines else None
    if not offset and root:
        offset[len(root.group(1))] += 1  # no nested list: the root list's dash column decides
    best_mapping = _best_mapping(mapping)
    best_offset = _best_offset(offset)
    return best_mapping if best_mapping is not None else 2, best_offset if best_offset is not None else 0


def shown_style(text: str) -> tuple[int | None, int | None]:
    """(mapping indent, dash offset) that ``text`` shows; None for what it does not show."""
    mapping, offset = indent_counts(_lines(text))
    return _best_mapping(mapping), _best_offset(offset)


def local_style(shown: tuple[int | None, int | None], fallback: Callable[[], Style]) -> Style:
    """The style a text shows (:func:`shown_style`), the file's (``fallback``) for the rest."""
    indent, dash = shown
    if indent is None or dash is None:
        file_style = fallback()
        indent = file_style.indent if indent is None else indent
        dash = file_style.offset if dash is None else dash
    return Style(indent=indent, offset=dash)
