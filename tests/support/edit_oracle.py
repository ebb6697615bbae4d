"""What an edit should do to a file, found without the code that writes text, and the check
that the text it wrote does just that.

The oracle runs the same edit function on a :class:`PlainDoc`: its mutation applied to a
deep copy of the plain data, with no lazy copy, no syntax tree and no text. The edited
document must then re-parse to that data (the same types too), valohai-yaml must judge its
text as it judges that data, and its diff must touch only lines that hold what changed:
each changed or added line holds a new name, key or value, each changed or removed line an
old one, lines are added only by edits that add something and removed only by edits that
remove something.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import yaml

from runner.config.document import YamlDocument, to_plain
from runner.config.errors import EditError
from runner.config.loader import LoadedConfig, load_text
from tests.support.edit_cases import Case


class PlainDoc:
    """A stand-in for ``YamlDocument`` that edit functions accept: data only."""

    def __init__(self, data: Any, path: Path | None = None) -> None:
        self.path = path
        self.loaded = LoadedConfig("", copy.deepcopy(data), path)

    def apply(self, mutate: Any) -> None:
        tree = copy.deepcopy(self.loaded.data) if self.loaded.data is not None else []
        try:
            mutate(tree)
        except (TypeError, KeyError, AttributeError, IndexError, ValueError) as exc:
            raise EditError(f"not the shape a valohai.yaml needs: {exc}") from exc  # as the document says
        self.loaded = LoadedConfig("", to_plain(tree), self.path)


def same(a: Any, b: Any) -> bool:
    """Equal with the same types all the way down (``1``, ``1.0`` and ``true`` differ)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


# -- what changed in the data, as words to look for in the text --------------------------------


def _words(value: Any) -> set[str]:
    """How a value's scalars (and keys) can show in a line of text."""
    if isinstance(value, dict):
        return {w for k, v in value.items() for w in {str(k)} | _words(v)}
    if isinstance(value, list):
        return {w for v in value for w in _words(v)}
    if value is None:
        return {"null", "~"}
    if isinstance(value, bool):
        return {str(value).lower()}
    if isinstance(value, str):
        return {line.strip().lower() for line in value.split("\n") if line.strip()}
    dumped = yaml.safe_dump(value).removesuffix("\n...\n").strip()
    return {str(value).lower(), dumped.lower()}


def delta(old: Any, new: Any, key: Any = None) -> tuple[set[str], set[str]]:
    """(words of what went or changed, words of what came or changed) between two data."""
    gone: set[str] = set()
    came: set[str] = set()
    if isinstance(old, dict) and isinstance(new, dict):
        if old and not new:
            came.add("{}")
        for k in old:
            if k not in new:
                gone |= {str(k)} | _words(old[k])
            elif not same(old[k], new[k]):
                g, c = delta(old[k], new[k], k)
                gone, came = gone | g, came | c
        for k in new:
            if k not in old:
                came |= {str(k)} | _words(new[k])
        if list(k for k in old if k in new) != list(k for k in new if k in old):  # reordered
            gone, came = gone | _words(old), came | _words(new)
    elif isinstance(old, list) and isinstance(new, list):
        if old and not new:
            came.add("[]")
        if key is not None:  # `endpoints: [a, b]` → `endpoints: [b]`, `parameters: []`: the key names it
            gone.add(str(key))
            came.add(str(key))
        keys_old = [repr(to_plain(v)) for v in old]
        keys_new = [repr(to_plain(v)) for v in new]
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, keys_old, keys_new, autojunk=False).get_opcodes():
            if tag == "replace" and i2 - i1 == j2 - j1:
                for o, n in zip(old[i1:i2], new[j1:j2], strict=True):
                    g, c = delta(o, n, key)
                    gone, came = gone | g, came | c
            elif tag != "equal":
                gone |= {w for v in old[i1:i2] for w in _words(v)}
                came |= {w for v in new[j1:j2] for w in _words(v)}
    else:
        gone, came = _words(old), _words(new)
        if key is not None:  # `default: 1` → `default: 2`: the key names the change too
            gone.add(str(key))
            came.add(str(key))
    return gone - {""}, came - {""}


_SYNTAX = set("-[]{},:?| >")


def _holds(line: str, words: set[str]) -> bool:
    low = line.lower()
    if any(w in low for w in words):
        return True
    # One line of a plain or quoted string folded over several lines.
    piece = low.strip().lstrip("- ").strip("'\"")
    return len(piece) >= 3 and any(piece in w for w in words)


def _trivia(line: str) -> bool:
    """A line that holds no value: blank, a comment, punctuation of a flow list, a merge."""
    bare = line.strip()
    return not bare or bare.startswith(("#", "<<:", "- <<:")) or set(bare) <= _SYNTAX


def _moved(line: str) -> tuple[int, str]:
    """(column, text) of a line's content: the same when a key moves onto or off a list
    item's dash line (``- a: 1`` / ``  a: 1``), not when its indentation changes."""
    col = len(line) - len(line.lstrip(" "))
    while line.startswith("- ", col):
        col = len(line) - len(line[col + 2 :].lstrip(" "))
    return col, line[col:].rstrip()


def _only(kind: str, short: str, long: str) -> bool:
    """``long`` is ``short`` with text only inserted into it (``kind`` "insert")."""
    if not short.strip():
        return False
    ops = SequenceMatcher(None, short, long, autojunk=False).get_opcodes()
    return all(tag in ("equal", kind) for tag, *_ in ops)


def line_problems(before: str, after: str, gone: set[str], came: set[str], case: Case) -> list[str]:
    """What in the diff ``before`` → ``after`` the edit had no reason to touch."""
    old, new = before.split("\n"), after.split("\n")
    problems: list[str] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if j2 - j1 > i2 - i1 and not case.adds:
            problems.append(f"added lines {new[j1:j2]!r}")
        if j2 - j1 < i2 - i1 and not case.removes:
            problems.append(f"removed lines {old[i1:i2]!r}")
        olds, news = old[i1:i2], new[j1:j2]
        moved = {_moved(x) for x in olds} & {_moved(x) for x in news}
        # A line that only gained text (an entry added in a flow list, or its comma) or
        # only lost some (an entry taken out of it).
        kept = {o for o in olds if case.adds and any(_only("insert", o, n) for n in news)}
        cut = {n for n in news if case.removes and any(_only("insert", n, o) for o in olds)}
        cut |= {n for n in news if any(_only("insert", o, n) and set(n) - set(o) <= _SYNTAX for o in olds)}
        for line in olds:
            if line in kept or _moved(line) in moved or (case.removes and _trivia(line)):
                continue
            if not _holds(line, gone):
                problems.append(f"touched line {line!r}, which holds nothing the edit changed")
        for line in news:
            if line in cut or _moved(line) in moved or _holds(line, came):
                continue
            problems.append(f"wrote line {line!r}, which holds nothing the edit made")
    return problems


@functools.lru_cache(maxsize=4096)
def verdict(text: str) -> str:
    """valohai-yaml's verdict on a text: valid, invalid, or the error its lint itself raises
    (0.61.0 raises KeyError on a pipeline parameter whose node runs a missing step)."""
    from valohai_yaml.lint import lint

    try:
        return "invalid" if lint(text, ansi_colors=False).error_count else "valid"
    except Exception as exc:
        return f"lint raised {type(exc).__name__}"


# -- one case ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    case: str
    status: str  # minimal | refused | not minimal | wrong
    problems: list[str] = field(default_factory=list)
    verdict_changed: bool = False  # the edit's meaning changed valohai-yaml's verdict (e.g. a step removed)


def run_case(text: str, path: Path | None, case: Case) -> Outcome:
    """Make ``case``'s edit on ``text`` and judge the result against the oracle."""
    doc = YamlDocument.from_text(text, path)
    before = doc.loaded.data
    oracle = PlainDoc(before, path)
    try:
        case.call(oracle)
        expected_error: EditError | None = None
    except EditError as exc:
        expected_error = exc
    try:
        case.call(doc)
    except EditError as exc:
        if doc.text != text:
            return Outcome(case.name, "wrong", [f"refused ({exc}) but changed the text"])
        if expected_error is not None or "appears twice" in str(exc):
            return Outcome(case.name, "refused")
        if doc.loaded.has_aliases and "cannot be written" in str(exc):
            # A value merged into others (<<: *anchor) cannot change for one of them alone.
            return Outcome(case.name, "refused", [str(exc)])
        return Outcome(case.name, "wrong", [f"refused: {exc}"])
    if expected_error is not None:
        return Outcome(case.name, "wrong", [f"only the oracle refused it ({expected_error})"])
    return _judge(text, before, doc, oracle.loaded.data, case)


def _judge(text: str, before: Any, doc: YamlDocument, expected: Any, case: Case) -> Outcome:
    after = doc.text
    if not same(load_text(after).data, expected):
        return Outcome(case.name, "wrong", ["the edited text does not re-parse to the data the edit means"])
    changed = verdict(after) != verdict(text)
    if changed and verdict(after) != verdict(yaml.safe_dump(expected, sort_keys=False, allow_unicode=True)):
        return Outcome(case.name, "wrong", ["valohai-yaml judges the text otherwise than the data it means"])
    gone, came = delta(before, expected)
    problems = line_problems(text, after, gone, came, case)
    if doc.last_edit_fallback is not None:
        problems.insert(0, f"fell back to the re-dump: {doc.last_edit_fallback}")
    return Outcome(case.name, "not minimal" if problems else "minimal", problems, changed)
