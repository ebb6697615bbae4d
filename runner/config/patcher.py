"""Write an edit's changes into the text as patches at the exact spans they concern.

Each operation of :mod:`runner.config.treediff` becomes a replacement of a byte range of
the text found in its syntax tree (:mod:`runner.config.cst`): a scalar's span, a key's span,
the lines of a deleted entry, new lines after a sibling written like that sibling. Nothing
else in the text moves. Each patched region is then checked on its own: the smallest
enclosing entry that starts a line is parsed alone and must give the data the edit intends
there (the whole text is parsed instead when it reuses nodes through aliases).
"""

from __future__ import annotations

from typing import Any

import yaml

from runner.config import cst
from runner.config.cst import PatchImpossible
from runner.config.errors import EditError
from runner.config.render import Style, flow, item_lines, pair_lines, scalar
from runner.config.treediff import Diff, Op, same

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_QUOTES = {"single_quote_scalar": "'", "double_quote_scalar": '"'}


class RepeatedKeyError(EditError):
    """The edit is inside a mapping that holds a key twice."""


class Patcher:
    def __init__(self, tree: cst.Cst, style: Style, newline: bytes) -> None:
        self.cst = tree
        self.body = tree.body
        self.style = style
        self.nl = newline
        self.patches: list[tuple[int, int, bytes]] = []
        self.regions: list[Any] = []  # CST nodes whose enclosing line entry must be re-checked
        # New lines next to a sibling: (sibling, new entries, in a mapping, after the sibling).
        self.inserted: list[tuple[Any, list[Any], bool, bool]] = []

    # -- finding the node of a path ------------------------------------------------------------

    def locate(self, path: tuple[Any, ...]) -> tuple[Any, Any, Any, bool]:
        """(entry, value wrapper, content node, in flow) of ``path``; the entry is a pair or
        a list item node (None for the document itself)."""
        wrapper = self.cst.root()
        inner, _props = cst.unwrap(wrapper)
        entry, in_flow = None, False
        for step in path:
            if inner is None or inner.type == "alias":
                raise PatchImpossible("the edit is inside an alias (*name) of another part")
            if inner.type in cst.MAPPINGS:
                repeated = cst.duplicate_key(inner, self.body)
                if repeated is not None:
                    key, first, second = repeated
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

    def apply(self, diff: Diff) -> None:
        self.diff = diff
        deletes: dict[tuple[Any, ...], list[Any]] = {}
        replaced = {op.path for op in diff.ops if op.kind == "replace"}
        for op in diff.ops:
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

    def patch(self, start: int, end: int, text: str, region: Any) -> None:
        self.patches.append((start, end, text.replace("\n", self.nl.decode()).encode("utf-8")))
        if region is not None:
            self.regions.append(region)

    def rename(self, path: tuple[Any, ...], key: Any) -> None:
        entry, _wrapper, _inner, _flow = self.locate(path)
        key_node, _props = cst.unwrap(cst.pair_key(entry))
        quote = _QUOTES.get(key_node.type)
        if key_node.type not in cst.SCALARS or key_node.type == "block_scalar":
            raise PatchImpossible("a mapping key that is not a plain value")
        self.patch(key_node.start_byte, key_node.end_byte, scalar(key, quote, flow=_in_flow(entry)), entry)

    def replace(self, path: tuple[Any, ...], value: Any) -> None:
        if not path:
            raise PatchImpossible("the edit replaces the whole file")
        entry, _wrapper, inner, in_flow = self.locate(path)
        if not isinstance(value, dict | list) and (inner is None or inner.type in cst.SCALARS):
            self.replace_scalar(entry, inner, value, in_flow)
            return
        if in_flow:
            if inner is None:
                raise PatchImpossible("a null value in a flow collection")
            self.patch(inner.start_byte, inner.end_byte, flow(value), entry)
            return
        key = self.diff.renamed.get((path[:-1], path[-1]), path[-1])
        self.rewrite_entry(entry, value, key if entry.type == "block_mapping_pair" else None)

    def replace_scalar(self, entry: Any, inner: Any, value: Any, in_flow: bool) -> None:
        multi_line = isinstance(value, str) and "\n" in value
        if inner is None:  # `key:` or `-` with nothing after it (null)
            if in_flow or multi_line:
                raise PatchImpossible("a null value in this position")
            mark = next(c for c in entry.children if c.type in (":", "-"))
            self.patch(mark.end_byte, mark.end_byte, " " + scalar(value), entry)
            return
        if (multi_line or inner.type == "block_scalar") and not in_flow:
            self.rewrite_entry(entry, value)
            return
        self.patch(
            inner.start_byte, inner.end_byte, scalar(value, _QUOTES.get(inner.type), flow=in_flow), entry
        )

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
        self.patch(start, _content_end(body, entry), "\n".join(lines), entry)

    def delete(self, path: tuple[Any, ...], keys: list[Any]) -> None:
        _entry, _wrapper, inner, in_flow = self.locate(path)
        if inner is None or inner.type not in (*cst.MAPPINGS, *cst.SEQUENCES):
            raise PatchImpossible("a removed entry the text does not hold as written")
        children = cst.pairs(inner) if inner.type in cst.MAPPINGS else cst.entries(inner)
        if inner.type in cst.MAPPINGS:
            names = [cst.key_of(cst.pair_key(p), self.body) for p in children]
            gone = sorted(max(i for i, n in enumerate(names) if n == key) for key in keys)
        else:
            gone = sorted(keys)
        flowy = in_flow or inner.type in ("flow_mapping", "flow_sequence")
        for first, last in _runs(gone):
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
        start = _entry_start(head)
        if cst.starts_line(body, start):
            self.patch(cst.line_start(body, start), cst.line_end(body, tail.end_byte), "", None)
        elif after is not None:  # the first key of a list item, on the dash's line
            self.patch(start, _entry_start(after), "", container)
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
            at = op.before if op.before is not None else len(children)
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
        self.patch(key.start_byte, _content_end(body, entry), "\n".join(lines), entry)
        return True

    def insert_block(
        self, container: Any, children: list[Any], at: int, new: list[Any], is_map: bool
    ) -> None:
        body = self.body
        style = self._style(container)
        first_start = _entry_start(children[0])
        col = cst.column(body, first_start)
        lines: list[str] = []
        if is_map:
            for key, value in new:
                lines += _full(pair_lines(key, value, col, style), col)
        else:
            values = [v for _k, v in new]
            if all(_is_flow_mapping(c) for c in children) and all(isinstance(v, dict) for v in values):
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
            self.inserted.append((children[at - 1], new, is_map, True))
        elif cst.starts_line(body, first_start):
            offset = cst.line_start(body, first_start)
            self.patch(offset, offset, block + "\n", None)
            self.inserted.append((children[0], new, is_map, False))
        else:  # before the first key of a list item, on the dash's line
            self.patch(first_start, first_start, block[col:] + "\n" + " " * col, container)

    def _style(self, container: Any) -> Style:
        """The file's style, with this container's own indentation where it shows one."""
        return self.style

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
        spans: list[tuple[int, int, Any]] = []
        for node in self.regions:
            entry = _enclosing_line_entry(self.body, node)
            if entry is None:
                raise PatchImpossible("a change outside any entry that starts a line")
            start = cst.line_start(self.body, _entry_start(entry))
            spans.append((start, cst.line_end(self.body, entry.end_byte), entry))
        spans.sort(key=lambda s: (s[0], -s[1]))
        last_end = -1
        for start, end, entry in spans:
            if end <= last_end:
                continue  # inside a region already checked
            last_end = end
            key, value = diff.new_entry(_path_of(entry, self.body))
            want = [value] if entry.type == "block_sequence_item" else {key: value}
            self._expect(self._patched(start, end), want)
        for sibling, new, is_map, after in self.inserted:  # with a sibling: the same indentation
            start = cst.line_start(self.body, _entry_start(sibling))
            end = cst.line_end(self.body, sibling.end_byte)
            text = self._patched(start, end) if after else self._patched(start, end, before=True)
            try:
                key, value = diff.new_entry(_path_of(sibling, self.body))
            except (KeyError, IndexError):  # the sibling itself was removed by this edit
                self._expect(text, dict(new) if is_map else [v for _k, v in new])
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


def _in_flow(node: Any) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type in ("flow_mapping", "flow_sequence"):
            return True
        parent = parent.parent
    return False


def _content_end(body: bytes, node: Any) -> int:
    """The end of a node without the line breaks tree-sitter counts in at the end of a file."""
    end = node.end_byte
    while end > node.start_byte and body[end - 1 : end] in (b"\n", b"\r"):
        end -= 1
    return end


def _entry_start(node: Any) -> int:
    """Where an entry begins: a pair at its key, a list item at its dash."""
    if node.type == "block_mapping_pair":
        key = node.child_by_field_name("key")
        return key.start_byte if key is not None else node.start_byte
    return node.start_byte


def _is_flow_mapping(item: Any) -> bool:
    inner, _props = cst.unwrap(cst.item_value(item))
    return inner is not None and inner.type == "flow_mapping"


def _full(lines: list[str], col: int) -> list[str]:
    """Rendered lines (the first without its indentation) all at their columns."""
    return [" " * col + lines[0], *lines[1:]]


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for i in indices:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _enclosing_line_entry(body: bytes, node: Any) -> Any | None:
    """The smallest block pair or list item around ``node`` that starts its own line."""
    while node is not None:
        if node.type in ("block_mapping_pair", "block_sequence_item") and cst.starts_line(
            body, _entry_start(node)
        ):
            return node
        node = node.parent
    return None


def _path_of(entry: Any, body: bytes) -> tuple[Any, ...]:
    """The config path of an entry node, walking up to the document."""
    path: list[Any] = []
    node = entry
    while node is not None:
        parent = node.parent
        if (
            node.type in ("block_mapping_pair", "flow_pair")
            and parent is not None
            and parent.type in cst.MAPPINGS
        ):
            path.append(cst.key_of(node.child_by_field_name("key"), body))
        elif (
            parent is not None
            and parent.type in cst.SEQUENCES
            and node.type
            in (
                "block_sequence_item",
                "flow_node",
            )
        ):
            path.append(next(i for i, c in enumerate(cst.entries(parent)) if c.id == node.id))
        node = parent
    return tuple(reversed(path))
