"""Carry an edit of a re-dumped YAML tree back onto the user's own text.

ruamel.yaml keeps comments and key order, but re-dumping can still normalise a few
lines (indentation of nested lists, spacing before comments). To change only the lines
an edit concerns, we diff the dump before the edit (``base``) against the dump after it
(``edited``) and apply just those hunks to the original text. Hunks are placed by the
lines that the original and ``base`` have in common up to whitespace (anchors), and the
new lines take the indentation the original uses at that place.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

_SEARCH_LIMIT = 400  # lines to look back for an indentation reference


def _key(line: str) -> str:
    return " ".join(line.split())


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def merge_edit(original: list[str], base: list[str], edited: list[str]) -> list[str]:
    """Lines of ``original`` with the ``base`` → ``edited`` changes applied."""
    if original == base:
        return list(edited)
    anchor: dict[int, int] = {}
    matcher = SequenceMatcher(None, [_key(x) for x in base], [_key(x) for x in original], autojunk=False)
    for b, o, size in matcher.get_matching_blocks():
        for k in range(size):
            anchor[b + k] = o + k

    regions: list[list[int]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, base, edited, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        # Widen the hunk to the nearest anchored lines so that it replaces whole
        # original lines, never a part of a stretch the dump normalised.
        lo = i1 - 1
        while lo >= 0 and lo not in anchor:
            lo -= 1
        hi = i2
        while hi < len(base) and hi not in anchor:
            hi += 1
        e1, e2 = j1 - (i1 - lo - 1), j2 + (hi - i2)
        o1 = anchor[lo] + 1 if lo >= 0 else 0
        o2 = anchor[hi] if hi < len(base) else len(original)
        if regions and lo + 1 <= regions[-1][1]:
            last = regions[-1]
            last[1], last[3], last[5] = max(last[1], hi), max(last[3], e2), max(last[5], o2)
        else:
            regions.append([lo + 1, hi, e1, e2, o1, o2])

    out: list[str] = []
    pos = 0
    for b1, b2, e1, e2, o1, o2 in regions:
        out += original[pos:o1]
        if b1 == b2:  # a pure insertion: keep any original lines base did not know
            out += original[o1:o2]
        new = [_reindent(line, b1 - 1, base, original, anchor) for line in edited[e1:e2]]
        if len(new) == o2 - o1:  # line for line: keep the user's spacing before comments
            new = [_keep_comment_spacing(old, line) for old, line in zip(original[o1:o2], new, strict=True)]
        out += new
        pos = o2
    out += original[pos:]
    return out


_COMMENT = re.compile(r"^(.*?\S)(\s+)(#.*)$")


def _keep_comment_spacing(old: str, new: str) -> str:
    """ruamel writes ``value # note`` for ``value  # note``: give the comment its old gap."""
    o, n = _COMMENT.match(old), _COMMENT.match(new)
    if o and n and o.group(3) == n.group(3) and o.group(2) != n.group(2):
        return n.group(1) + o.group(2) + n.group(3)
    return new


def _reindent(line: str, before: int, base: list[str], original: list[str], anchor: dict[int, int]) -> str:
    """Shift a dumped line by the indentation difference of the nearest anchored line above
    it that is at its depth or shallower (a sibling or a parent)."""
    if not line.strip():
        return line
    depth = _indent(line)
    for b in range(before, max(before - _SEARCH_LIMIT, -1), -1):
        if b in anchor and base[b].strip() and _indent(base[b]) <= depth:
            delta = _indent(original[anchor[b]]) - _indent(base[b])
            if delta > 0:
                return " " * delta + line
            if delta < 0 and depth + delta >= 0:
                return line[-delta:]
            return line
    return line
