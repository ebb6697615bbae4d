"""The check that a patched text means what the edit intends, region by region.

Each patched region is parsed alone (PyYAML's libyaml loader) and must give exactly the data
the edit intends there (:meth:`~runner.config.treediff.Diff.new_entry`): the smallest entry
around each patch that starts a line, the sibling next to new lines together with them, the
whole text where the patch replaced it. Parsing only those regions proves for the text what
a parse of the whole file would (the rest of it is byte for byte what parsed before) at a
fraction of the cost. Any doubt raises :class:`~runner.config.cst.PatchImpossible`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from runner.config import cst
from runner.config.cst import PatchImpossible
from runner.config.treediff import Diff, same

if TYPE_CHECKING:
    from runner.config.patcher import Patcher

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def check(p: Patcher, diff: Diff) -> None:
    """Parse each region ``p`` patched alone; it must give the data the edit intends there."""
    body = p.body
    if p.whole:
        _expect(patched(p, 0, len(body), before=True), diff.new_at[()])
    spans: list[tuple[int, int, Any]] = []
    for node in p.regions:
        entry = cst.enclosing_line_entry(body, node)
        if entry is None:
            raise PatchImpossible("a change outside any entry that starts a line")
        start = cst.line_start(body, cst.entry_start(entry))
        spans.append((start, cst.line_end(body, entry.end_byte), entry))
    spans.sort(key=lambda s: (s[0], -s[1]))
    last_end = -1
    for start, end, entry in spans:
        if end <= last_end:
            continue  # inside a region already checked
        last_end = end
        key, value = diff.new_entry(cst.path_of(entry, body, p.base))
        want = [value] if entry.type == "block_sequence_item" else {key: value}
        _expect(patched(p, start, end), want)
    for sibling, new, is_map, after, block in p.inserted:
        _check_insertion(p, diff, sibling, new, is_map, after, block)


def _check_insertion(
    p: Patcher, diff: Diff, sibling: Any, new: list[Any], is_map: bool, after: bool, block: str
) -> None:
    """New lines next to a sibling parse, with it, as the sibling and the new entries (which
    proves they have its indentation)."""
    body = p.body
    start = cst.line_start(body, cst.entry_start(sibling))
    end = cst.line_end(body, sibling.end_byte)
    text = patched(p, start, end) if after else patched(p, start, end, before=True)
    lead = cst.entry_start(sibling) - start
    if is_map and lead and not cst.starts_line(body, start + lead):
        text = b" " * lead + text[lead:]  # the first key of a list item: read it without the dash
    try:
        key, value = diff.new_entry(cst.path_of(sibling, body, p.base))
    except (KeyError, IndexError):  # the sibling itself was removed: the new lines alone
        _expect(block.encode("utf-8"), dict(new) if is_map else [v for _k, v in new])
        return
    if is_map:
        want = {key: value, **dict(new)} if after else {**dict(new), key: value}
    else:
        values = [v for _k, v in new]
        want = [value, *values] if after else [*values, value]
    _expect(text, want)


def patched(p: Patcher, start: int, end: int, *, before: bool = False) -> bytes:
    """The text of ``[start, end)`` with its patches (an insertion at ``end`` included, one
    at ``start`` only when ``before``)."""
    out, pos = [], start
    for p_start, p_end, text in sorted(p.patches):
        inside = p_start >= start and p_end <= end
        if inside and (before or p_start > start or p_end > p_start):
            out += [p.body[pos:p_start], text]
            pos = p_end
    out.append(p.body[pos:end])
    return b"".join(out)


def _expect(text: bytes, want: Any) -> None:
    try:
        got = yaml.load(text.decode("utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        raise PatchImpossible(f"the patched text does not parse ({exc})") from None
    if not same(got, want):
        raise PatchImpossible("the patched text would not mean what the edit intends")
