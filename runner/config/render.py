"""YAML text for new values, in the style of the text around them.

Scalars are written as PyYAML would read them back (plain when that keeps their type,
else quoted), in the quoting of the value they replace. Mappings and lists are written in
block style at the given column with the file's own indentation, or in flow style
(``[a, b]``, ``{name: a}``) where the neighbours are flow or the value asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_WIDE = 1 << 30  # never wrap a line


@dataclass(frozen=True)
class Style:
    """How a file indents: a nested mapping ``indent`` columns deeper than its key, a list's
    dash ``offset`` columns deeper than its key, ``gap`` spaces after a dash."""

    indent: int = 2
    offset: int = 2
    gap: int = 1


def wants_flow(value: Any) -> bool:
    """A container the edit made in flow style (ruamel's ``fa.set_flow_style()``)."""
    attrs = getattr(value, "fa", None)
    return bool(attrs is not None and attrs.flow_style())


def _dump(value: Any, style: str | None = None, *, in_flow: bool = False) -> str:
    text = yaml.dump(
        value,
        Dumper=_Dumper,
        default_style=style,
        default_flow_style=in_flow,
        width=_WIDE,
        allow_unicode=True,
    )
    return text.removesuffix("\n...\n").removesuffix("\n")


def scalar(value: Any, quote: str | None = None, *, flow: bool = False) -> str:
    """One-line text of a scalar; ``quote`` ``'`` or ``"`` keeps that quoting for a string."""
    if not isinstance(value, str):
        return _dump(value)  # numbers, booleans, null, dates: as PyYAML writes them
    if quote in ("'", '"') or "\n" in value:
        return _dump(value, '"' if "\n" in value or quote == '"' else "'")
    if flow:
        return _dump([value], in_flow=True).removeprefix("[").removesuffix("]")
    return _dump(value)


def block_scalar(value: str, indent: int) -> list[str]:
    """``|`` text of a multi-line string: the header, then the lines at ``indent`` (one
    double-quoted line instead when the literal style cannot hold the string)."""
    text = _dump(value, "|")
    if not text.startswith("|"):
        return [text]
    header, *lines = text.split("\n")
    pad = " " * indent
    return [header, *(pad + line[2:] if line.strip() else "" for line in lines)]


def flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k, flow=True)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value, flow=True)


def _inline(value: Any, in_flow: bool) -> str | None:
    """The value on its key's line, or None when it needs lines of its own."""
    if isinstance(value, dict | list):
        if not value or in_flow or wants_flow(value):
            return flow(value)
        return None
    if isinstance(value, str) and "\n" in value:
        return None
    return scalar(value)


def pair_lines(key: Any, value: Any, col: int, st: Style, *, in_flow: bool = False) -> list[str]:
    """``key: value`` at column ``col``: the first line without its indentation."""
    head = scalar(key)
    inline = _inline(value, in_flow)
    if inline is not None:
        return [f"{head}: {inline}"]
    if isinstance(value, str):
        header, *rest = block_scalar(value, col + st.indent)
        return [f"{head}: {header}", *rest]
    if isinstance(value, dict):
        return [f"{head}:", *_indented(mapping_lines(value, col + st.indent, st), col + st.indent)]
    return [f"{head}:", *_indented(item_lines(value, col + st.offset, st), col + st.offset)]


def mapping_lines(value: dict[Any, Any], col: int, st: Style) -> list[str]:
    """The pairs of a block mapping at ``col``: the first line without its indentation."""
    lines: list[str] = []
    for key, child in value.items():
        block = pair_lines(key, child, col, st)
        lines += block if not lines else _indented(block, col)
    return lines


def item_lines(values: list[Any], col: int, st: Style) -> list[str]:
    """``- value`` lines of a block list with its dashes at ``col``: the first without indentation."""
    lines: list[str] = []
    content = col + 1 + st.gap
    for value in values:
        inline = _inline(value, False)
        if inline is not None:
            block = [inline]
        elif isinstance(value, str):
            block = block_scalar(value, content)
        elif isinstance(value, dict):
            block = mapping_lines(value, content, st)
        else:
            block = item_lines(value, content, st)
        first = "-" + " " * st.gap + block[0]
        item = [first, *block[1:]]
        lines += item if not lines else _indented(item, col)
    return lines


def _indented(lines: list[str], col: int) -> list[str]:
    """Give the first line its indentation (the others carry theirs)."""
    return [" " * col + lines[0], *lines[1:]] if lines else lines
