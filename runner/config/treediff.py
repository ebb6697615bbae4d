"""What an edit changed: the edit works on a copy of the file's data, and the copy is
compared with the data it came from.

:func:`working_copy` copies plain data, remembering which copy
came from which original. After the edit mutated the copy, :func:`diff` lists the changes
as operations on paths of the *original* data (the paths the text's syntax tree knows):
replace a value, rename a key, delete an entry, insert entries. Containers an edit created
are new (no original); containers it kept are recursed into, so an edit deep inside one
node yields one small operation there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

Path = tuple[Any, ...]


def working_copy(data: Any) -> tuple[Any, dict[int, Any]]:
    """A deep copy of plain ``data`` (plain dicts and lists: the edit's result becomes the new
    view's data as it is) and ``{id(copy): original}`` for every container."""
    origin: dict[int, Any] = {}

    def copy(node: Any) -> Any:
        if isinstance(node, dict):
            new: Any = {k: copy(v) for k, v in node.items()}
        elif isinstance(node, list):
            new = [copy(v) for v in node]
        else:
            return node
        origin[id(new)] = node
        return new

    tree = copy(data if data is not None else [])
    return tree, origin


@dataclass
class Op:
    """One change at ``path`` (of the original data).

    ``replace``: the value at ``path`` becomes ``value``. ``rename``: the key ``path[-1]``
    becomes ``value`` (its value stays, changes inside it come as their own operations).
    ``delete``: the entry at ``path`` goes. ``insert``: ``value`` is a list of new
    ``(key, value)`` entries (key None in a list) put into the container at ``path`` before
    the entry ``before`` (a key or index of the original; None: at the end).
    """

    kind: str
    path: Path
    value: Any = None
    before: Any = None


@dataclass
class Diff:
    ops: list[Op] = field(default_factory=list)
    # Where the original containers went: their new objects, renamed keys and moved indices,
    # so a region of the text can be checked against the data the edit intends there.
    new_at: dict[Path, Any] = field(default_factory=dict)
    renamed: dict[tuple[Path, Any], Any] = field(default_factory=dict)
    moved: dict[tuple[Path, int], int] = field(default_factory=dict)

    def new_entry(self, path: Path) -> tuple[Any, Any]:
        """The (new key or index, new value) of the original entry at ``path``."""
        parent = self.new_at[path[:-1]]
        last = path[-1]
        if isinstance(parent, dict):
            last = self.renamed.get((path[:-1], last), last)
        else:
            last = self.moved.get((path[:-1], last), last)
        return last, parent[last]


def same(a: Any, b: Any) -> bool:
    """Equal as YAML data: the same types all the way down (``1``, ``1.0`` and ``true`` differ)."""
    both = (isinstance(a, dict) and isinstance(b, dict)) or (isinstance(a, list) and isinstance(b, list))
    if type(a) is not type(b) and not both:
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def diff(old: Any, new: Any, origin: dict[int, Any]) -> Diff:
    result = Diff()
    _Differ(origin, result).node((), old if old is not None else [], new)
    return result


class _Differ:
    def __init__(self, origin: dict[int, Any], out: Diff) -> None:
        self.origin = origin
        self.out = out

    def value(self, path: Path, old: Any, new: Any) -> None:
        if isinstance(new, dict | list):
            if self.origin.get(id(new)) is old:
                self.node(path, old, new)
            else:
                self.out.ops.append(Op("replace", path, new))
        elif isinstance(old, dict | list) or type(old) is not type(new) or old != new:
            self.out.ops.append(Op("replace", path, new))

    def node(self, path: Path, old: Any, new: Any) -> None:
        self.out.new_at[path] = new
        if old and not new:
            self.out.ops.append(Op("replace", path, new))  # emptied: written as [] / {}
        elif isinstance(old, dict):
            self.mapping(path, old, new)
        else:
            self.sequence(path, old, new)

    def mapping(self, path: Path, old: dict[Any, Any], new: dict[Any, Any]) -> None:
        old_keys, new_keys = list(old), list(new)
        if old_keys == new_keys:
            for key in old_keys:
                self.value((*path, key), old[key], new[key])
            return
        kept = [k for k in new_keys if k in old]
        if kept != [k for k in old_keys if k in new]:
            self.out.ops.append(Op("replace", path, new))  # keys reordered: write it anew
            return
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, old_keys, new_keys, autojunk=False).get_opcodes():
            if tag == "equal":
                for key in old_keys[i1:i2]:
                    self.value((*path, key), old[key], new[key])
            elif tag == "replace" and i2 - i1 == j2 - j1:
                for okey, nkey in zip(old_keys[i1:i2], new_keys[j1:j2], strict=True):
                    self.out.ops.append(Op("rename", (*path, okey), nkey))
                    self.out.renamed[(path, okey)] = nkey
                    self.value((*path, okey), old[okey], new[nkey])
            else:
                for key in old_keys[i1:i2]:
                    self.out.ops.append(Op("delete", (*path, key)))
                if j2 > j1:
                    before = old_keys[i2] if i2 < len(old_keys) else None
                    entries = [(k, new[k]) for k in new_keys[j1:j2]]
                    self.out.ops.append(Op("insert", path, entries, before))

    def sequence(self, path: Path, old: list[Any], new: list[Any]) -> None:
        if len(old) == len(new) and self.unchanged_items(path, old, new):
            return
        self.aligned(path, old, new)

    def unchanged_items(self, path: Path, old: list[Any], new: list[Any]) -> bool:
        """The common case, item for item the same list: recurse and say so (else nothing)."""
        origin = self.origin
        for o, n in zip(old, new, strict=True):
            if isinstance(n, dict | list):
                if origin.get(id(n)) is not o:
                    return False
            elif type(o) is not type(n) or o != n:
                return False
        for i, (o, n) in enumerate(zip(old, new, strict=True)):
            if isinstance(n, dict | list):
                self.node((*path, i), o, n)
        return True

    def aligned(self, path: Path, old: list[Any], new: list[Any]) -> None:
        def key(item: Any) -> Any:
            if isinstance(item, dict | list):
                source = self.origin.get(id(item))
                return ("c", id(source) if source is not None else ("new", id(item)))
            return ("s", type(item), item)

        old_keys = [("c", id(x)) if isinstance(x, dict | list) else key(x) for x in old]
        new_keys = [key(x) for x in new]
        start = 0
        while start < min(len(old), len(new)) and old_keys[start] == new_keys[start]:
            start += 1
        end_old, end_new = len(old), len(new)
        while end_old > start and end_new > start and old_keys[end_old - 1] == new_keys[end_new - 1]:
            end_old, end_new = end_old - 1, end_new - 1
        for i in range(start):
            self.value((*path, i), old[i], new[i])
        matcher = SequenceMatcher(None, old_keys[start:end_old], new_keys[start:end_new], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            i1, i2, j1, j2 = i1 + start, i2 + start, j1 + start, j2 + start
            if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                    self.moved_to(path, i, j)
                    self.value((*path, i), old[i], new[j])
            else:
                for i in range(i1, i2):
                    self.out.ops.append(Op("delete", (*path, i)))
                if j2 > j1:
                    before = i2 if i2 < len(old) else None
                    self.out.ops.append(Op("insert", path, [(None, v) for v in new[j1:j2]], before))
        shift = len(new) - len(old)
        for i in range(end_old, len(old)):
            self.moved_to(path, i, i + shift)
            self.value((*path, i), old[i], new[i + shift])

    def moved_to(self, path: Path, i: int, j: int) -> None:
        if i != j:
            self.out.moved[(path, i)] = j
