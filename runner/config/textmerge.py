"""Carry an edit of a re-dumped YAML tree back onto the user's own text.

ruamel.yaml keeps comments and key order, but re-dumping can still normalise a few
lines (indentation of nested lists, spacing in flow style). To change only the lines an
edit concerns, we diff the dump before the edit (``base``) against the dump after it
(``edited``) and apply just those hunks to the original text, placed by the lines that
the original and ``base`` have in common (anchors).
"""

from __future__ import annotations

from difflib import SequenceMatcher


def merge_edit(original: list[str], base: list[str], edited: list[str]) -> list[str]:
    """Lines of ``original`` with the ``base`` → ``edited`` changes applied."""
    if original == base:
        return list(edited)
    anchor: dict[int, int] = {}
    for b, o, size in SequenceMatcher(None, base, original, autojunk=False).get_matching_blocks():
        for k in range(size):
            anchor[b + k] = o + k

    regions: list[list[int]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, base, edited, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        # Widen the hunk to the nearest anchored lines so that it replaces whole
        # original lines, never a part of a normalised stretch.
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
        out += edited[e1:e2]
        pos = o2
    out += original[pos:]
    return out
