"""The proof that an edit changes only the lines it concerns, on every real file.

Every kind of edit the designer makes (:mod:`tests.support.edit_matrix`: rename a step,
node, parameter, input, pipeline...; set and clear fields; add and remove nodes, edges,
parameters, inputs, overrides, actions, pipeline parameters, task and deployment fields)
runs on every file of ``tests/data`` and ``../shared/corpus`` and on the files written here
in each pattern that used to defeat the editor (:mod:`tests.support.edit_patterns`). Each
result must re-parse to exactly the data the same edit makes of plain data, keep
valohai-yaml's verdict (or change it as that data does), and touch only lines that hold what
changed (:mod:`tests.support.edit_oracle`).

A run checks every edit on the pattern files, and on the corpus each kind of edit on every
fourth file in turn (every file when few have something for it); ``EDIT_MATRIX=full``
checks every edit on every file.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from runner.config import load_text
from tests.support.edit_matrix import Case, cases, editable_files
from tests.support.edit_oracle import Outcome, run_case
from tests.support.edit_patterns import PATTERNS

FULL = os.environ.get("EDIT_MATRIX") == "full"


FILES = editable_files()
# How many files each kind of edit has something for: a kind found in only a few files
# runs on each of them; the others on every fourth file, in turn.
SPREAD = Counter(c.function for _n, text, _p in FILES for c in cases(load_text(text).data))


def _selected(index: int, name: str, text: str) -> list[Case]:
    every = cases(load_text(text).data)
    if FULL or name.startswith("pattern/"):
        return every
    return [c for k, c in enumerate(every) if SPREAD[c.function] < 12 or (index + k) % 4 == 0]


def _allowed(outcome: Outcome, text: str) -> bool:
    """Only a file that reuses values through anchors may send an edit through the
    re-dump (an edit inside an anchor changes every alias of it), and only when the
    re-dump's diff is minimal too."""
    fell_back = [p for p in outcome.problems if p.startswith("fell back to the re-dump")]
    return bool(fell_back) and outcome.problems == fell_back and load_text(text).has_aliases


@pytest.mark.parametrize(("index", "name"), [pytest.param(i, f[0], id=f[0]) for i, f in enumerate(FILES)])
def test_each_edit_touches_only_its_lines_and_means_what_it_says(index: int, name: str) -> None:
    _id, text, path = FILES[index]
    outcomes = [run_case(text, path, case) for case in _selected(index, name, text)]
    bad = [
        o for o in outcomes if o.status == "wrong" or (o.status == "not minimal" and not _allowed(o, text))
    ]
    assert not bad, "\n".join(f"{o.case}: {o.status}: {'; '.join(o.problems[:3])}" for o in bad)
    refused = [o for o in outcomes if o.status == "refused"]
    assert all(o.problems == [] or "cannot be written" in o.problems[0] for o in refused)


def _designer_functions() -> set[str]:
    """The edit functions the designer calls (found in its source)."""
    import re

    source = "".join(p.read_text(encoding="utf-8") for p in Path("designer").rglob("*.py"))
    names = set(re.findall(r"\b(?:edits|task_edits|endpoint_edits)\.([a-z_]+)\b", source))
    return names - {"check_edge", "items", "targets_of"}  # look-ups, not edits


def test_every_edit_the_designer_makes_is_in_the_matrix_on_many_files() -> None:
    selected: Counter[str] = Counter()
    for index, (name, text, _path) in enumerate(FILES):
        selected.update(case.function for case in _selected(index, name, text))
    missing = {f for f in _designer_functions() if not selected[f]}
    assert not missing, f"edits the matrix never makes: {sorted(missing)}"
    assert all(selected[f] >= min(3, SPREAD[f]) for f in SPREAD), selected
    assert sum(selected.values()) >= 400


def _shapes(data: Any) -> list[str]:
    return (
        sorted({k for item in data if isinstance(item, dict) for k in item}) if isinstance(data, list) else []
    )


def test_the_matrix_reaches_the_corpus_and_every_pattern() -> None:
    names = [name for name, _t, _p in FILES]
    assert sum(n.startswith("shared/") for n in names) >= 25 and sum("/" not in n for n in names) >= 30
    assert {f"pattern/{k}" for k in PATTERNS} <= set(names)
    assert all(_shapes(load_text(text).data) for _n, text, _p in FILES if _n.startswith("pattern/"))
