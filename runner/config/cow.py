"""The copy of a file's data that an edit mutates, copied only as far as the edit reads it.

An edit runs on a copy so that a refused edit changes nothing, and so that what it changed
can be found by comparing the copy with the data it came from (:mod:`runner.config.treediff`).
Copying all the data of a 2,000-line file costs more than most edits, so this copy is
lazy: each mapping and list is copied (shallowly) the first time the edit reads it out of
its parent, its own children when they are read in turn. Whatever the edit never reached
stays the original object, so the diff skips it by identity and the next view shares it.

Every way of reading a child out of a copied container is covered (indexing, ``get``,
iteration, ``items``/``values``, ``pop``, slices, ``copy``, ``+``, ``|``), and so are the
C-level paths that Python takes through them (``dict(copy)``, ``list(copy)``, ``[*copy]``).
:func:`finish` turns the copy into plain data again.
"""

from __future__ import annotations

from collections.abc import Iterator
from operator import is_
from typing import Any

_CONTAINERS = (dict, list)


class _Copy:
    """What both kinds of copy share: which of their children are still the originals."""

    __slots__ = ()
    source: Any
    _ids: set[int] | None

    def _sources(self) -> Any:
        raise NotImplementedError

    def _is_original(self, value: Any) -> bool:
        """``value`` is one of the source's own children (not copied yet)."""
        if not isinstance(value, _CONTAINERS):
            return False
        if self._ids is None:  # found on first need: lists of plain values never need it
            self._ids = {id(v) for v in self._sources() if isinstance(v, _CONTAINERS)}
        return id(value) in self._ids

    def _changed(self, value: Any) -> bool:
        """A container the edit read (copied) or created, not an original it left alone."""
        return isinstance(value, _CONTAINERS) and not self._is_original(value)


class _Map(_Copy, dict):  # type: ignore[type-arg]
    """A copied mapping whose children are copied when read."""

    __slots__ = ("_ids", "source")

    def __init__(self, source: dict[Any, Any]) -> None:
        dict.__init__(self, source)
        self.source = source
        self._ids = None

    def _sources(self) -> Any:
        return self.source.values()

    def _read(self, key: Any, value: Any) -> Any:
        if self._is_original(value):
            value = copy_of(value)
            dict.__setitem__(self, key, value)
        return value

    def _read_all(self) -> None:
        if self._ids != set():
            for key, value in dict.items(self):
                self._read(key, value)
            self._ids = set()  # every original child is a copy now

    def __getitem__(self, key: Any) -> Any:
        return self._read(key, dict.__getitem__(self, key))

    def get(self, key: Any, default: Any = None) -> Any:
        if key in self:
            return self[key]
        return default

    def __iter__(self) -> Iterator[Any]:
        # Defined so that dict(copy), {**copy} and update(copy) take the slow path through
        # keys() and __getitem__ instead of reading the stored values directly.
        return dict.__iter__(self)

    def items(self) -> Any:
        self._read_all()
        return dict.items(self)

    def values(self) -> Any:
        self._read_all()
        return dict.values(self)

    def pop(self, key: Any, *default: Any) -> Any:
        if key in self:
            self[key]
        return dict.pop(self, key, *default)

    def popitem(self) -> tuple[Any, Any]:
        if self:
            self[next(reversed(dict.keys(self)))]
        return dict.popitem(self)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key in self:
            return self[key]
        return dict.setdefault(self, key, default)

    def copy(self) -> dict[Any, Any]:
        self._read_all()
        return dict.copy(self)

    def __or__(self, other: Any) -> Any:
        self._read_all()
        return dict.__or__(self, other)

    def __ror__(self, other: Any) -> Any:
        self._read_all()
        return dict.__ror__(self, other)

    def __reduce__(self) -> Any:
        return (dict, (self.copy(),))

    def finished(self, plain: Any) -> dict[Any, Any]:
        """The original when nothing changed in it, else a plain dict of the entries."""
        out = {k: plain(v) if self._changed(v) else v for k, v in dict.items(self)}
        source = self.source
        if (
            len(out) == len(source)
            and all(map(is_, out, source))
            and all(map(is_, out.values(), source.values()))
        ):
            return source
        return out


class _Seq(_Copy, list):  # type: ignore[type-arg]
    """A copied list whose items are copied when read."""

    __slots__ = ("_ids", "source")

    def __init__(self, source: list[Any]) -> None:
        list.__init__(self, source)
        self.source = source
        self._ids = None

    def _sources(self) -> Any:
        return self.source

    def _read(self, index: int) -> Any:
        value = list.__getitem__(self, index)
        if self._is_original(value):
            value = copy_of(value)
            list.__setitem__(self, index, value)
        return value

    def _read_all(self) -> None:
        if self._ids != set():
            for index in range(len(self)):
                self._read(index)
            self._ids = set()

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            self._read_all()
            return list.__getitem__(self, index)
        return self._read(index)

    def __iter__(self) -> Iterator[Any]:
        self._read_all()
        return list.__iter__(self)

    def __reversed__(self) -> Iterator[Any]:
        self._read_all()
        return list.__reversed__(self)

    def pop(self, index: int = -1) -> Any:
        if self:
            self._read(index)
        return list.pop(self, index)

    def copy(self) -> list[Any]:
        self._read_all()
        return list.copy(self)

    def __add__(self, other: Any) -> Any:
        self._read_all()
        return list.__add__(self, other)

    def __radd__(self, other: Any) -> Any:
        self._read_all()
        return list(other) + list.copy(self)

    def __mul__(self, count: Any) -> Any:
        self._read_all()
        return list.__mul__(self, count)

    __rmul__ = __mul__

    def __reduce__(self) -> Any:
        return (list, (self.copy(),))

    def finished(self, plain: Any) -> list[Any]:
        """The original when nothing changed in it, else a plain list of the items."""
        out = [plain(v) if self._changed(v) else v for v in list.__iter__(self)]
        source = self.source
        if len(out) == len(source) and all(map(is_, out, source)):
            return source
        return out


def copy_of(value: Any) -> Any:
    """The lazy copy of a mapping or list (anything else is returned as it is)."""
    if isinstance(value, dict):
        return _Map(value)
    if isinstance(value, list):
        return _Seq(value)
    return value


def working_copy(data: Any) -> Any:
    """The copy an edit mutates (an empty list for an empty file)."""
    return copy_of(data if data is not None else [])


def finish(tree: Any) -> tuple[Any, dict[int, Any]]:
    """The edited copy as plain data, and ``{id(container): original}`` of each container
    that was copied from an original and changed (the others are the originals again).

    Containers the edit created keep their type (ruamel's style marks tell how to write
    them); copies inside them become plain too.
    """
    origin: dict[int, Any] = {}

    def plain(node: Any) -> Any:
        if isinstance(node, _Map | _Seq):
            out = node.finished(plain)
            if out is not node.source:
                origin[id(out)] = node.source
            return out
        if isinstance(node, dict):
            for key, value in list(node.items()):
                if isinstance(value, _CONTAINERS):
                    node[key] = plain(value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, _CONTAINERS):
                    node[index] = plain(value)
        return node

    return plain(tree), origin
