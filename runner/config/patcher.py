"""Write an edit's changes into the text as patches at the exact spans they concern.

Each operation of :mod:`runner.config.treediff` becomes a replacement of a byte range of
the text found in its syntax tree (:mod:`runner.config.cst`): a scalar's span, a key's span,
the lines of a deleted entry, new lines after a sibling written like that sibling. Nothing
else in the text moves. Each patched region is then checked on its own: the smallest
enclosing entry that starts a line is parsed alone and must give the data the edit intends
there (the whole text is parsed instead when it reuses nodes through aliases).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from runner.config import cst
from runner.config.chunks import runs
from runner.config.cst import PatchImpossible
from runner.config.errors import EditError
from runner.config.indentation import local_style
from runner.config.render import Style, flow, item_lines, pair_lines, scalar
from runner.config.treediff import Diff, Op, same

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_QUOTES = {"single_quote_scalar": "'", "double_quote_scalar": '"'}


class RepeatedKeyError(EditError):
    """The edit is inside a mapping that holds a key twice."""


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

    # -- finding the node of a path ------------------------------------------------------------

    def locate(self, path: tuple[Any, ...]) -> tuple[Any, Any, Any, bool]:
        """(entry, value wrapper, content node, in flow) of ``path``; the entry is a pair or
        a list item node (None for the document itself)."""
        wrapper = self.cst.root()
        inner, _props = cst.unwrap(wrapper)
        entry, in_flow = None, False
        for depth, step in enumerate(path):
            if depth == 0 and isinstance(step, int):
                step -= self.base
            if inner is None or inner.type == "alias":
                raise PatchImpossible("the edit is inside an alias (*name) of another part")
            if inner.type in cst.MAPPINGS:
                repeated = cst.duplicate_key(inner, self.body)
                if repeated is not None:
                    key, first, second = repeated
                    first, second = first + self.first_line - 1, second + self.first_line - 1
                    raise RepeatedKeyError(
                        f'The key "{key}" appears twice in this mapping (lines {first} and {second}); '
                        "remove one of them in the YAML view before editing here."
                    )
                found = [p for p in cst.pairs(inner) if cst.key_of(cst.pair_key(p), self.body) == step]
                if not found or any(cst.key_of(cst.pair_key(p), self.body) == "<<" for p in cst.pairs(inner)):
                    raise PatchImpossible("the edit is inside a mapping merged with <<")
                entry = found[-1]  # the last of a repeated key wins, as for PyYAML
                wrapper = cst.pair_value(entry)
            elif inner.type in cst.SEQUENCES:
                items = cst.entries(inner)
                if not isinstance(step, int) or not 0 <= step < len(items) or items[step].type == "flow_pair":
                    raise PatchImpossible("a list item the text writes in an unusual form")
                entry = items[step]
                wrapper = cst.item_value(entry)
            else:
                raise PatchImpossible(f"the text has a {inner.type} where the data has a container")
            in_flow = in_flow or inner.type.startswith("flow")
            inner, _props = cst.unwrap(wrapper)
        return entry, wrapper, inner, in_flow

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
                self.insert(op)
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
            lines = item_lines([value], cst.column(body, start), self._style(entry.parent))
        elif entry.type == "block_mapping_pair":
            start = cst.pair_key(entry).start_byte
            if key is None:
                key = cst.key_of(cst.pair_key(entry), body)
            lines = pair_lines(key, value, cst.column(body, start), self._style(entry.parent))
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
            gone = sorted(index - self._shift(path) for index in keys)
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

    def insert(self, op: Op) -> None:
        entry, _wrapper, inner, in_flow = self.locate(op.path)
        if inner is None or inner.type not in (*cst.MAPPINGS, *cst.SEQUENCES):
            raise PatchImpossible("new entries in a container the text does not hold as written")
        is_map = inner.type in cst.MAPPINGS
        children = cst.pairs(inner) if is_map else cst.entries(inner)
        if is_map:
            names = [cst.key_of(cst.pair_key(p), self.body) for p in children]
            at = names.index(op.before) if op.before is not None else len(children)
        else:
            at = op.before - self._shift(op.path) if op.before is not None else len(children)
        if in_flow or inner.type in ("flow_mapping", "flow_sequence"):
            self.insert_flow(inner, children, at, op.value, is_map, entry)
        elif not children:
            raise PatchImpossible("new entries in an empty block container")
        else:
            self.insert_block(inner, children, at, op.value, is_map)

    def insert_flow(
        self, container: Any, children: list[Any], at: int, new: list[Any], is_map: bool, entry: Any
    ) -> None:
        def text(key: Any, value: Any) -> str:
            return f"{scalar(key, flow=True)}: {flow(value)}" if is_map else flow(value)

        parts = [text(k, v) for k, v in new]
        if not children:
            if entry is not None and entry.type == "block_mapping_pair" and self.to_block(entry, new, is_map):
                return
            opening = container.children[0]
            self.patch(opening.end_byte, opening.end_byte, ", ".join(parts), container)
            return
        sep = ", "
        if len(children) > 1:
            sep = self.body[children[0].end_byte : children[1].start_byte].decode("utf-8")
        if at < len(children):
            self.patch(children[at].start_byte, children[at].start_byte, sep.join(parts) + sep, container)
        else:
            end = children[-1].end_byte
            self.patch(end, end, sep + sep.join(parts), container)

    def to_block(self, entry: Any, new: list[Any], is_map: bool) -> bool:
        """``key: []`` gaining its first entries in a block mapping becomes a block list."""
        body = self.body
        key = cst.pair_key(entry)
        if is_map or not cst.starts_line(body, key.start_byte):
            return False
        col = cst.column(body, key.start_byte)
        value = dict(new) if is_map else [v for _k, v in new]
        lines = pair_lines(cst.key_of(key, body), value, col, self._style(entry.parent))
        self.patch(key.start_byte, cst.content_end(body, entry), "\n".join(lines), entry)
        return True

    def insert_block(
        self, container: Any, children: list[Any], at: int, new: list[Any], is_map: bool
    ) -> None:
        body = self.body
        style = self._style(container)
        first_start = cst.entry_start(children[0])
        col = cst.column(body, first_start)
        lines: list[str] = []
        if is_map:
            for key, value in new:
                lines += _full(pair_lines(key, value, col, style), col)
        else:
            values = [v for _k, v in new]
            if all(cst.is_flow_mapping(c) for c in children) and all(isinstance(v, dict) for v in values):
                lines = [" " * col + "- " + flow(v) for v in values]  # like its flow-style siblings
            else:
                lines = _full(item_lines(values, col, style), col)
        block = "\n".join(lines)
        if at > 0:
            offset = cst.line_end(body, children[at - 1].end_byte)
            if offset and body[offset - 1 : offset] == b"\n":
                self.patch(offset, offset, block + "\n", None)
            else:  # after the last line of a file without a final newline
                self.patch(offset, offset, "\n" + block, None)
            self.inserted.append((children[at - 1], new, is_map, True, block))
        elif cst.starts_line(body, first_start):
            offset = cst.line_start(body, first_start)
            self.patch(offset, offset, block + "\n", None)
            self.inserted.append((children[0], new, is_map, False, block))
        else:  # before the first key of a list item, on the dash's line
            self.patch(first_start, first_start, block[col:] + "\n" + " " * col, container)

    def _shift(self, path: tuple[Any, ...]) -> int:
        """How far this text's indices of the list at ``path`` are from the file's."""
        return self.base if not path else 0

    def _style(self, container: Any) -> Style:
        """The style of this text (a top-level item indents like itself), else the file's."""
        if self.cst.style is None:
            self.cst.style = local_style(self.body.decode("utf-8"), self.file_style)
        return self.cst.style

    # -- checking ----------------------------------------------------------------------------

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
        if self.whole:
            self._expect(self._patched(0, len(self.body)), diff.new_at[()])
        spans: list[tuple[int, int, Any]] = []
        for node in self.regions:
            entry = cst.enclosing_line_entry(self.body, node)
            if entry is None:
                raise PatchImpossible("a change outside any entry that starts a line")
            start = cst.line_start(self.body, cst.entry_start(entry))
            spans.append((start, cst.line_end(self.body, entry.end_byte), entry))
        spans.sort(key=lambda s: (s[0], -s[1]))
        last_end = -1
        for start, end, entry in spans:
            if end <= last_end:
                continue  # inside a region already checked
            last_end = end
            key, value = diff.new_entry(cst.path_of(entry, self.body, self.base))
            want = [value] if entry.type == "block_sequence_item" else {key: value}
            self._expect(self._patched(start, end), want)
        for sibling, new, is_map, after, block in self.inserted:  # with a sibling: the same indentation
            start = cst.line_start(self.body, cst.entry_start(sibling))
            end = cst.line_end(self.body, sibling.end_byte)
            text = self._patched(start, end) if after else self._patched(start, end, before=True)
            lead = cst.entry_start(sibling) - start
            if is_map and lead and not cst.starts_line(self.body, start + lead):
                text = b" " * lead + text[lead:]  # the first key of a list item: read it without the dash
            try:
                key, value = diff.new_entry(cst.path_of(sibling, self.body, self.base))
            except (KeyError, IndexError):  # the sibling itself was removed: the new lines alone
                self._expect(block.encode("utf-8"), dict(new) if is_map else [v for _k, v in new])
                continue
            if is_map:
                want = {key: value, **dict(new)} if after else {**dict(new), key: value}
            else:
                values = [v for _k, v in new]
                want = [value, *values] if after else [*values, value]
            self._expect(text, want)

    def _patched(self, start: int, end: int, *, before: bool = False) -> bytes:
        """The text of ``[start, end)`` with its patches (an insertion at ``end`` included,
        one at ``start`` only when ``before``)."""
        out, pos = [], start
        for p_start, p_end, text in sorted(self.patches):
            inside = p_start >= start and p_end <= end
            if inside and (before or p_start > start or p_end > p_start):
                out += [self.body[pos:p_start], text]
                pos = p_end
        out.append(self.body[pos:end])
        return b"".join(out)

    @staticmethod
    def _expect(text: bytes, want: Any) -> None:
        try:
            got = yaml.load(text.decode("utf-8"), Loader=_Loader)
        except yaml.YAMLError as exc:
            raise PatchImpossible(f"the patched text does not parse ({exc})") from None
        if not same(got, want):
            raise PatchImpossible("the patched text would not mean what the edit intends")


def _full(lines: list[str], col: int) -> list[str]:
    """Rendered lines (the first without its indentation) all at their columns."""
    return [" " * col + lines[0], *lines[1:]]
