"""The text's syntax trees, one per top-level item of the file.

tree-sitter's YAML grammar parses about 4 MB of text a second: the whole of a 2,000-line
file costs more than an edit should. So the text is split at the lines that start its
top-level list items (``- step:``, ``- pipeline:``, at the column of the file's first dash),
and an edit parses only the items it changes, each on its own, the first time it needs
it. Trees are kept by the item's text: an untouched item keeps its tree when other items
change around it, and an item that comes back (undo, redo) is not parsed again. A text
that cannot be split that way (a flow or mapping root, directives, a multi-line quoted
string that looks like a new item) is one region: the whole text.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache

from runner.config.cst import Cst

_TRIVIA = rb"(?:[ \t]*(?:#[^\n]*)?\r?\n)*"  # blank and comment lines
# What may come before the first item: those, and one "---" line.
_HEAD = re.compile(_TRIVIA + rb"(?:---[ \t]*(?:#[^\n]*)?\r?\n)?" + _TRIVIA)
_DASH = re.compile(rb"( *)-(?=[ \r\n]|\Z)")


class TreeCache:
    """Syntax trees by the exact bytes they were parsed from (the most recent few hundred)."""

    def __init__(self, size: int = 256) -> None:
        self._trees: OrderedDict[bytes, Cst] = OrderedDict()
        self._size = size

    def get(self, text: bytes) -> Cst:
        tree = self._trees.get(text)
        if tree is None:
            tree = Cst(text)
            self.put(tree)
        else:
            self._trees.move_to_end(text)
        return tree

    def put(self, tree: Cst) -> None:
        self._trees[tree.body] = tree
        self._trees.move_to_end(tree.body)
        while len(self._trees) > self._size:
            self._trees.popitem(last=False)


@dataclass(frozen=True)
class Region:
    """Top-level items ``first..last`` (None: the whole text) at bytes ``start..end``."""

    first: int | None
    last: int | None
    start: int
    end: int

    @property
    def base(self) -> int:
        """The index of the region's first item among the file's top-level items."""
        return self.first or 0


@cache
def _dashes(pad: bytes) -> re.Pattern[bytes]:
    """Lines that start a list item with exactly ``pad`` before the dash."""
    return re.compile(rb"^" + pad + rb"-(?=[ \r\n]|\Z)", re.M)


def split(body: bytes, count: int | None) -> list[int] | None:
    """Where each of the ``count`` top-level list items starts (the start of its dash line),
    or None when the text is not a block list whose items each start a line at one column."""
    if not count:
        return None
    head = _HEAD.match(body)
    first = head.end() if head else 0
    dash = _DASH.match(body, first)
    if dash is None:
        return None
    starts = [m.start() for m in _dashes(dash.group(1)).finditer(body, first)]
    # One more start than items: a line inside a quoted string looks like an item.
    return starts if len(starts) == count else None


class Items:
    """A text (UTF-8, no byte-order mark) and where its top-level items are."""

    def __init__(self, body: bytes, count: int | None, cache: TreeCache) -> None:
        self.body = body
        self.count = count
        self.cache = cache
        self.starts = split(body, count)

    def region(self, first: int | None, last: int | None) -> Region:
        if self.starts is None or first is None or last is None:
            return Region(None, None, 0, len(self.body))
        end = self.starts[last + 1] if last + 1 < len(self.starts) else len(self.body)
        return Region(first, last, self.starts[first], end)

    def tree(self, region: Region) -> Cst:
        return self.cache.get(self.body[region.start : region.end])

    def regions(self, needed: list[tuple[int, int]] | None) -> list[Region]:
        """The regions that hold the item ranges ``needed`` (overlapping ranges are merged);
        the whole text when it is not split, or when ``needed`` is None."""
        if self.starts is None or needed is None:
            return [self.region(None, None)]
        merged: list[list[int]] = []
        for first, last in sorted(needed):
            if merged and first <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], last)
            else:
                merged.append([first, last])
        return [self.region(first, last) for first, last in merged]


def runs(indices: list[int]) -> list[tuple[int, int]]:
    """Consecutive indices as (first, last) runs: [1, 2, 4] gives [(1, 2), (4, 4)]."""
    found: list[tuple[int, int]] = []
    for i in indices:
        if found and found[-1][1] == i - 1:
            found[-1] = (found[-1][0], i)
        else:
            found.append((i, i))
    return found
