"""Write an edit's changes into the text as patches at the exact spans they concern.

Each operation of :mod:`runner.config.treediff` becomes a replacement of a byte range of
the text found in its syntax tree (:mod:`runner.config.cst`): a scalar's span, a key's span,
the lines of a deleted entry, new lines after a sibling written like that sibling. Nothing
else in the text moves. The nodes come from :mod:`runner.config.locate`, new entries are
written by :mod:`runner.config.insertion`, and each patched region is then checked on its
own by :mod:`runner.config.patch_check` (the whole text is parsed instead, by
:mod:`runner.config.exact`, when it reuses nodes through aliases).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runner.config import cst
from runner.config.chunks import runs
from runner.config.cst import PatchImpossible
from runner.config.indentation import local_style, shown_style
from runner.config.insertion import insert
from runner.config.locate import RepeatedKeyError, locate
from runner.config.patch_check import check
from runner.config.render import Style, flow, item_lines, pair_lines, scalar
from runner.config.treediff import Diff, Op

__all__ = ["Patcher", "RepeatedKeyError"]

_QUOTES = {"single_quote_scalar": "'", "double_quote_scalar": '"'}


class Patcher:
    """Patches of one text: the whole file, or some of its top-level items alone (then
    ``base`` is the index of the first of them among the file's, and paths stay the file's)."""

    def __init__(
        self, tree: cst.Cst, style: Callable[[], Style], newline: bytes, base: int = 0, first_line: int = 1
    ) -> None:
        self.cst = tree
        self.body = tree.body
        self.first_line = first_line  # the file's line number of this text's first line
        self.file_style = style
        self.nl = newline
        self.base = base
        self.patches: list[tuple[int, int, bytes]] = []
        self.only_swaps = True  # every patch swaps a scalar for one of its kind
        self.whole = False  # the whole text changed: check it whole
        self.regions: list[Any] = []  # CST nodes whose enclosing line entry must be re-checked
        # New lines next to a sibling: (sibling, new entries, in a mapping, after it, their text).
        self.inserted: list[tuple[Any, list[Any], bool, bool, str]] = []

    def locate(self, path: tuple[Any, ...]) -> tuple[Any, Any, Any, bool]:
        """(entry, value wrapper, content node, in flow) of ``path`` (see :func:`locate`)."""
        return locate(self.cst, path, self.base, self.first_line)

    # -- the operations ------------------------------------------------------------------------

    def apply(self, diff: Diff, ops: list[Op]) -> None:
        """Patch ``ops`` (some of ``diff``'s, all inside this text)."""
        self.diff = diff
        deletes: dict[tuple[Any, ...], list[Any]] = {}
        replaced = {op.path for op in ops if op.kind == "replace"}
        for op in ops:
            if op.kind == "rename" and op.path in replaced:
                continue  # the replaced entry is written with its new key
            if op.kind == "delete":
                deletes.setdefault(op.path[:-1], []).append(op.path[-1])
            elif op.kind == "replace":
                self.replace(op.path, op.value)
            elif op.kind == "rename":
                self.rename(op.path, op.value)
            else:
                insert(self, op)
        for path, keys in deletes.items():
            self.delete(path, keys)

    def patch(self, start: int, end: int, text: str, region: Any, *, swap: bool = False) -> None:
        """Replace bytes ``start..end`` with ``text``; ``swap``: one scalar for another of its
        kind (the syntax tree then needs no new parse, see :meth:`Cst.edited`)."""
        self.patches.append((start, end, text.replace("\n", self.nl.decode()).encode("utf-8")))
        self.only_swaps = self.only_swaps and swap
        if region is not None:
            self.regions.append(region)

    def rename(self, path: tuple[Any, ...], key: Any) -> None:
        entry, _wrapper, _inner, _flow = self.locate(path)
        key_node, _props = cst.unwrap(cst.pair_key(entry))
        quote = _QUOTES.get(key_node.type)
        if key_node.type not in cst.SCALARS or key_node.type == "block_scalar":
            raise PatchImpossible("a mapping key that is not a plain value")
        flowing = cst.in_flow(entry)
        text = scalar(key, quote, flow=flowing)
        swap = cst.same_token(key_node, text, flowing)
        self.patch(key_node.start_byte, key_node.end_byte, text, entry, swap=swap)

    def replace(self, path: tuple[Any, ...], value: Any) -> None:
        if not path:
            self.empty_root(value)
            return
        entry, _wrapper, inner, in_flow = self.locate(path)
        renamed = self.diff.renamed.get((path[:-1], path[-1]))  # the entry's key changes too
        if not isinstance(value, dict | list) and (inner is None or inner.type in cst.SCALARS):
            if self.replace_scalar(entry, inner, value, in_flow, renamed) and renamed is not None:
                self.rename(path, renamed)
            return
        if in_flow:
            if inner is None:
                raise PatchImpossible("a null value in a flow collection")
            self.patch(inner.start_byte, inner.end_byte, flow(value), entry)
            if renamed is not None:
                self.rename(path, renamed)
            return
        key = path[-1] if renamed is None else renamed
        self.rewrite_entry(entry, value, key if entry.type == "block_mapping_pair" else None)

    def empty_root(self, value: Any) -> None:
        """The last top-level item removed: the list becomes ``[]`` (comments before it stay)."""
        _entry, _wrapper, inner, _flow = self.locate(())
        if value != [] or inner is None or inner.type not in cst.SEQUENCES:
            raise PatchImpossible("the edit replaces the whole file")
        self.patch(inner.start_byte, cst.content_end(self.body, inner), "[]", None)
        self.whole = True

    def replace_scalar(self, entry: Any, inner: Any, value: Any, in_flow: bool, key: Any = None) -> bool:
        """Patch a scalar value; False when the whole entry was written anew (with ``key``,
        when given) instead of only its value."""
        multi_line = isinstance(value, str) and "\n" in value
        if inner is None:  # `key:` or `-` with nothing after it (null)
            if in_flow or multi_line:
                raise PatchImpossible("a null value in this position")
            mark = next(c for c in entry.children if c.type in (":", "-"))
            self.patch(mark.end_byte, mark.end_byte, " " + scalar(value), entry)
            return True
        if (multi_line or inner.type == "block_scalar") and not in_flow:
            self.rewrite_entry(entry, value, key)
            return False
        text = scalar(value, _QUOTES.get(inner.type), flow=in_flow)
        swap = cst.same_token(inner, text, in_flow)
        self.patch(inner.start_byte, inner.end_byte, text, entry, swap=swap)
        return True

    def rewrite_entry(self, entry: Any, value: Any, key: Any = None) -> None:
        """Write a whole block entry anew (its key or dash keeps its column)."""
        body = self.body
        if entry.type == "block_sequence_item":
            start = entry.start_byte
            lines = item_lines([value], cst.column(body, start), self.style_of(entry.parent))
        elif entry.type == "block_mapping_pair":
            start = cst.pair_key(entry).start_byte
            if key is None:
                key = cst.key_of(cst.pair_key(entry), body)
            lines = pair_lines(key, value, cst.column(body, start), self.style_of(entry.parent))
        else:
            raise PatchImpossible("a value in this position")
        self.patch(start, cst.content_end(body, entry), "\n".join(lines), entry)

    def delete(self, path: tuple[Any, ...], keys: list[Any]) -> None:
        _entry, _wrapper, inner, in_flow = self.locate(path)
        if inner is None or inner.type not in (*cst.MAPPINGS, *cst.SEQUENCES):
            raise PatchImpossible("a removed entry the text does not hold as written")
        children = cst.pairs(inner) if inner.type in cst.MAPPINGS else cst.entries(inner)
        if inner.type in cst.MAPPINGS:
            names = [cst.key_of(cst.pair_key(p), self.body) for p in children]
            gone = sorted(max(i for i, n in enumerate(names) if n == key) for key in keys)
        else:
            gone = sorted(index - self.shift(path) for index in keys)
        flowy = in_flow or inner.type in ("flow_mapping", "flow_sequence")
        for first, last in runs(gone):
            self.delete_run(inner, children, first, last, flowy)

    def delete_run(self, container: Any, children: list[Any], first: int, last: int, in_flow: bool) -> None:
        body = self.body
        head, tail = children[first], children[last]
        after = children[last + 1] if last + 1 < len(children) else None
        if in_flow:
            if after is not None:
                self.patch(head.start_byte, after.start_byte, "", container)
            elif first > 0:
                self.patch(children[first - 1].end_byte, tail.end_byte, "", container)
            else:
                raise PatchImpossible("a flow collection emptied")
            return
        start = cst.entry_start(head)
        if cst.starts_line(body, start):
            begin, end = cst.line_start(body, start), cst.line_end(body, tail.end_byte)
            if end == len(body) and not body.endswith(b"\n") and begin > 0:  # no final newline: none after
                begin -= 2 if body[begin - 2 : begin] == b"\r\n" else 1
            self.patch(begin, end, "", None)
        elif after is not None:  # the first key of a list item, on the dash's line
            self.patch(start, cst.entry_start(after), "", container)
        else:
            raise PatchImpossible("a removed entry that shares its line")

    def shift(self, path: tuple[Any, ...]) -> int:
        """How far this text's indices of the list at ``path`` are from the file's."""
        return self.base if not path else 0

    def style_of(self, container: Any) -> Style:
        """The style of this text (a top-level item indents like itself), else the file's."""
        if self.cst.style is None:  # what the text shows: kept with its tree, which is cached by text
            self.cst.style = shown_style(self.body.decode("utf-8"))
        return local_style(self.cst.style, self.file_style)

    # -- the result ---------------------------------------------------------------------------

    def result(self) -> bytes:
        self.patches.sort(key=lambda p: (p[0], p[1]))
        out, pos = [], 0
        for start, end, text in self.patches:
            if start < pos:
                raise PatchImpossible("two changes overlap in the text")
            out += [self.body[pos:start], text]
            pos = end
        out.append(self.body[pos:])
        return b"".join(out)

    def check(self, diff: Diff) -> None:
        """Parse each patched region alone; it must give the data the edit intends there."""
        check(self, diff)
