"""One edit at a time on every corpus file with a step or pipeline: the text changes only
in the lines that edit concerns (checked with difflib), the result re-parses with exactly
the expected change in ``data``, and a file valid for valohai-yaml stays valid."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from difflib import SequenceMatcher
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from runner.config import ConfigLoadError, edits, load, load_text
from runner.config.document import YamlDocument
from runner.config.errors import EditError
from runner.config.loader import ConfigPath, LoadedConfig
from tests.support.corpus import DATA_DIR, all_files, file_id, official_text_valid
from tests.support.edit_targets import (
    apply_node_rename,
    apply_rename,
    choose_default,
    choose_node_rename,
    choose_rename,
    edge_candidates,
    get_path,
    pipelines,
    placeholder_pattern,
)

# file → why that edit changes more than its lines (none today: every edit is a patch).
KNOWN_DEFAULT_BUGS: dict[str, str] = {}
KNOWN_RENAME_BUGS: dict[str, str] = {}
KNOWN_EDGE_BUGS: dict[str, str] = {}


def _has_step_or_pipeline(path: Path) -> bool:
    try:
        data = load(path).data
    except ConfigLoadError:
        return False
    return isinstance(data, list) and any(
        isinstance(item, dict) and {"step", "pipeline", "blueprint"} & set(item) for item in data
    )


EDITABLE = [p for p in all_files() if _has_step_or_pipeline(p)]


def _params(known: dict[str, str], files: list[Path]) -> list[Any]:
    return [
        pytest.param(
            p,
            id=file_id(p),
            marks=[pytest.mark.xfail(strict=True, reason=known[file_id(p)])] if file_id(p) in known else [],
        )
        for p in files
    ]


# Each edit runs on every editable file that has something for it to change.
WITH_DEFAULT = [p for p in EDITABLE if choose_default(load(p).data) is not None]
WITH_PARAMETER = [p for p in EDITABLE if choose_rename(load(p).data) is not None]


def _lines(text: str) -> list[str]:
    return text.split("\n")  # a CRLF line keeps its "\r": a changed line ending is a changed line


def _diff(before: str, after: str) -> tuple[set[int], list[tuple[int, list[str]]]]:
    """(1-based numbers of old lines replaced or deleted, [(old index, inserted lines)])."""
    old, new = _lines(before), _lines(after)
    changed: set[int] = set()
    inserted: list[tuple[int, list[str]]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "insert":
            inserted.append((i1, new[j1:j2]))
        elif tag == "replace" and i2 - i1 == j2 - j1:
            changed.update(range(i1 + 1, i2 + 1))
        else:  # a deletion, or a replacement that changes the line count
            changed.update(range(i1 + 1, i2 + 1))
            inserted.append((i1, new[j1:j2]))
    return changed, inserted


def _item_end(loaded: LoadedConfig, index: int) -> int:
    """The last line of top-level item ``index``."""
    nxt = loaded.marks.get((index + 1,))
    return nxt.line - 1 if nxt else len(_lines(loaded.text))


def _lines_of(loaded: LoadedConfig, paths: list[ConfigPath], placeholder: Any) -> set[int]:
    lines = _lines(loaded.text)
    found: set[int] = set()
    for path in paths:
        start = loaded.marks[path].line
        if "command" in path:  # a placeholder may sit inside a block scalar: every line that has it
            end = _item_end(loaded, path[0])
            found |= {n for n in range(start, end + 1) if placeholder.search(lines[n - 1])}
        else:
            found.add(start)
    return found


def _refused_for_duplicate_keys(doc: YamlDocument, edit: Callable[[], None]) -> bool:
    """Make the edit; True when it was refused because it is inside a mapping that repeats a
    key (a clear EditError naming the key and both lines, and no change at all). Edits
    elsewhere in such a file go through."""
    before = doc.text
    try:
        edit()
    except EditError as exc:
        if not doc.loaded.duplicate_keys or "appears twice" not in str(exc):
            raise
        assert re.search(r"lines \d+ and \d+", str(exc)), exc
        assert doc.text == before
        return True
    return False


def _still_valid(before: str, after: str, doc: YamlDocument) -> None:
    assert not doc.last_edit_rewrote_file, "the edit fell back to re-dumping the whole file"
    if "\r\n" in before:  # a CRLF file stays CRLF on every line, the edited ones included
        assert all(line.endswith("\r") for line in _lines(after)[:-1])
    if official_text_valid(before):
        assert official_text_valid(after), "valohai-yaml no longer accepts the edited file"


@pytest.mark.parametrize("path", _params(KNOWN_DEFAULT_BUGS, WITH_DEFAULT))
def test_change_default_changes_only_the_default_line(path: Path) -> None:
    doc = YamlDocument.load(path)
    before, expected = doc.text, copy.deepcopy(doc.loaded.data)
    change = choose_default(expected)
    assert change is not None
    get_path(expected, change.path)["default"] = change.new
    doc_before = doc.loaded

    edit = partial(edits.set_parameter_field, doc, change.step, change.name, "default", change.new)
    if _refused_for_duplicate_keys(doc, edit):
        return

    changed, inserted = _diff(before, doc.text)
    if change.old is None:  # no default yet: one line inserted inside that parameter
        assert changed == set()
        assert len(inserted) == 1 and len(inserted[0][1]) == 1, inserted
        assert "default:" in inserted[0][1][0]
        at, (start, index) = inserted[0][0], (doc_before.locate(change.path).line, change.path[-1])
        nxt = doc_before.marks.get((*change.path[:-1], index + 1))  # type: ignore[operator]
        assert start <= at and (nxt is None or at < nxt.line), (at, start, nxt)
    else:
        line = doc.loaded.locate((*change.path, "default")).line  # same line number before and after
        assert inserted == [] and changed == {line}, (changed, inserted)
        assert str(change.new) in _lines(doc.text)[line - 1]
    assert load_text(doc.text).data == expected
    _still_valid(before, doc.text, doc)


@pytest.mark.parametrize("path", _params(KNOWN_RENAME_BUGS, WITH_PARAMETER))
def test_rename_parameter_changes_only_its_name_and_references(path: Path) -> None:
    doc = YamlDocument.load(path)
    before, expected = doc.text, copy.deepcopy(doc.loaded.data)
    rename = choose_rename(expected)
    assert rename is not None
    paths, keys = apply_rename(expected, rename)
    want = _lines_of(doc.loaded, paths, placeholder_pattern(rename.old))
    want |= {doc.loaded.locate(key, key=True).line for key in keys}

    edit = partial(edits.rename_parameter, doc, rename.step, rename.old, rename.new)
    if _refused_for_duplicate_keys(doc, edit):
        return

    changed, inserted = _diff(before, doc.text)
    assert inserted == [] and changed == want, (sorted(changed), sorted(want))
    assert load_text(doc.text).data == expected
    _still_valid(before, doc.text, doc)


def _choose_edge(doc: YamlDocument) -> tuple[ConfigPath, str, str, str] | None:
    for ppath, body in pipelines(doc.loaded.data):
        name = body.get("name")
        for source, target in edge_candidates(doc.loaded.data, body):
            try:
                edits.check_edge(doc.loaded, name, source, target)
            except EditError:
                continue
            return ppath, name, source, target
    return None


WITH_EDGE = [p for p in EDITABLE if _choose_edge(YamlDocument.load(p)) is not None]


@pytest.mark.parametrize("path", _params(KNOWN_EDGE_BUGS, WITH_EDGE))
def test_add_edge_inserts_only_the_edge(path: Path) -> None:
    doc = YamlDocument.load(path)
    before, expected = doc.text, copy.deepcopy(doc.loaded.data)
    chosen = _choose_edge(doc)
    assert chosen is not None
    ppath, name, source, target = chosen
    edges = get_path(expected, ppath)["edges"]
    full_form = bool(edges) and all(isinstance(e, dict) for e in edges)
    edges.append({"source": source, "target": target} if full_form else [source, target])
    edges_line = doc.loaded.locate((*ppath, "edges")).line
    edges_mark = doc.loaded.locate((*ppath, "edges"))
    flow = _lines(before)[edges_mark.line - 1][edges_mark.column - 1 :].startswith("[")
    last_edge = doc.loaded.locate((*ppath, "edges", len(edges) - 2)).line if len(edges) > 1 else edges_line

    edit = partial(edits.add_edge, doc, name, source, target)
    if _refused_for_duplicate_keys(doc, edit):
        return

    changed, inserted = _diff(before, doc.text)
    if flow:  # edges: [[a, b], ...] on one line: that line, or `edges: []` turned into a block
        assert changed == {edges_line}, (changed, inserted)
        assert inserted == [] or (len(edges) == 1 and [len(i[1]) for i in inserted] == [2]), inserted
    else:
        assert changed == set() and len(inserted) == 1, (changed, inserted)
        at, lines = inserted[0]
        assert len(lines) == (2 if full_form else 1), lines
        assert last_edge <= at <= _item_end(doc.loaded, ppath[0]), (at, last_edge)
        assert source in "".join(lines) and target in "".join(lines)
    assert load_text(doc.text).data == expected
    _still_valid(before, doc.text, doc)


def test_the_edits_reach_most_of_the_corpus() -> None:
    """Guard against the choosers silently skipping most of the corpus."""
    assert len(EDITABLE) >= 60
    assert len(WITH_DEFAULT) >= 40 and len(WITH_PARAMETER) >= 40
    assert len(WITH_EDGE) >= 20
    # Every data file meant for an edit gets it (the shared corpus has files with no parameter).
    data = {p.name for p in EDITABLE if p.parent.name == "data"}
    assert data - {p.name for p in WITH_PARAMETER} == {
        "bad-schema-missing-key.yaml",
        "bad-schema-wrong-type.yaml",
        "step-inputs.yaml",
        "step-runtime.yaml",
        "warn-duplicate-steps.yaml",
    }


def test_rename_parameter_follows_task_blueprints() -> None:
    doc = YamlDocument.load(DATA_DIR / "pipeline-tasks.yaml")
    edits.rename_parameter(doc, "sweep-me", "lr", "rate")
    blueprints = {i["task"]["name"]: i["task"] for i in doc.loaded.data if "task" in i}
    assert [p["name"] for p in blueprints["grid"]["parameters"]] == ["rate", "depth"]
    assert all("rate" in s and "lr" not in s for s in blueprints["manual"]["parameter-sets"])


def test_edit_on_a_flow_line_changes_only_the_edited_value() -> None:
    doc = YamlDocument.load(DATA_DIR / "style-flow.yaml")
    before = _lines(doc.text)
    edits.set_parameter_field(doc, "flow-a", "n", "default", 2)
    after = _lines(doc.text)
    assert after == [line.replace("default: 1}", "default: 2}") for line in before]


# -- an edit followed by its inverse gives the file back byte for byte ------------------------
# This also sees formatting changes inside the edited line, which the line-set tests cannot.

KNOWN_INVERSE_BUGS: dict[tuple[str, str], str] = {}


def _inverse_cases() -> list[Any]:
    cases = []
    for kind, files in (("default", WITH_DEFAULT), ("rename", WITH_PARAMETER), ("edge", WITH_EDGE)):
        for path in files:
            if load(path).duplicate_keys:
                continue  # edits are refused there (tested above)
            reason = KNOWN_INVERSE_BUGS.get((kind, file_id(path)))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(pytest.param(kind, path, id=f"{kind}-{file_id(path)}", marks=marks))
    return cases


@pytest.mark.parametrize(("kind", "path"), _inverse_cases())
def test_edit_then_its_inverse_gives_the_file_back(kind: str, path: Path) -> None:
    doc = YamlDocument.load(path)
    original = doc.text
    if kind == "default":
        change = choose_default(doc.loaded.data)
        assert change is not None
        edits.set_parameter_field(doc, change.step, change.name, "default", change.new)
        edits.set_parameter_field(doc, change.step, change.name, "default", change.old)
    elif kind == "rename":
        rename = choose_rename(doc.loaded.data)
        assert rename is not None
        edits.rename_parameter(doc, rename.step, rename.old, rename.new)
        edits.rename_parameter(doc, rename.step, rename.new, rename.old)
    else:
        chosen = _choose_edge(doc)
        assert chosen is not None
        ppath, name, source, target = chosen
        count = len(get_path(doc.loaded.data, ppath)["edges"])
        edits.add_edge(doc, name, source, target)
        edits.remove_edge(doc, name, count)
    assert doc.text == original


# -- rename a node (the designer's most common edit after moving things) ----------------------

WITH_NODE = [p for p in EDITABLE if choose_node_rename(load(p).data) is not None]
KNOWN_NODE_RENAME_BUGS: dict[str, str] = {}


@pytest.mark.parametrize("path", _params(KNOWN_NODE_RENAME_BUGS, WITH_NODE))
def test_rename_node_changes_only_its_name_and_references(path: Path) -> None:
    doc = YamlDocument.load(path)
    before, expected = doc.text, copy.deepcopy(doc.loaded.data)
    rename = choose_node_rename(expected)
    assert rename is not None
    want = {doc.loaded.locate(p).line for p in apply_node_rename(expected, rename)}

    edit = partial(edits.rename_node, doc, rename.pipeline, rename.old, rename.new)
    if _refused_for_duplicate_keys(doc, edit):
        return

    changed, inserted = _diff(before, doc.text)
    assert inserted == [] and changed == want, (sorted(changed), sorted(want))
    assert load_text(doc.text).data == expected
    _still_valid(before, doc.text, doc)
    edits.rename_node(doc, rename.pipeline, rename.new, rename.old)
    assert doc.text == before


# -- edits on files with schema errors: refused with a typed EditError, never a crash ---------
# Found by fuzzing sequences of edits on generated files. The designer opens such files (lint
# shows the schema errors) and the user may try an edit before fixing them.

_STEP = "- step: {name: s, image: busybox, command: echo, parameters: [{name: a}], inputs: [{name: i}]}\n"
_MALFORMED = {
    "remove-node-nodes-mapping": (
        _STEP + "- pipeline: {name: p, nodes: {a: 1}, edges: []}\n",
        lambda d: edits.remove_node(d, "p", "a"),
    ),
    "rename-node-nodes-scalar": (
        _STEP + "- pipeline: {name: p, nodes: 3.5, edges: []}\n",
        lambda d: edits.rename_node(d, "p", "a", "b"),
    ),
    "rename-node-edges-scalar": (
        _STEP + "- pipeline: {name: p, nodes: [{name: a, type: execution, step: s}], edges: 3}\n",
        lambda d: edits.rename_node(d, "p", "a", "b"),
    ),
    "remove-node-edges-bool": (
        _STEP + "- pipeline: {name: p, nodes: [{name: a, type: execution, step: s}], edges: true}\n",
        lambda d: edits.remove_node(d, "p", "a"),
    ),
    "remove-edge-edges-mapping": (
        _STEP + "- pipeline: {name: p, nodes: [], edges: {a: 1}}\n",
        lambda d: edits.remove_edge(d, "p", 0),
    ),
    "set-edge-edges-mapping": (
        _STEP + "- pipeline: {name: p, nodes: [], edges: {a: 1}}\n",
        lambda d: edits.set_edge(d, "p", 0, "a.output.x", "b.input.i"),
    ),
    "remove-parameter-params-mapping": (
        "- step: {name: s, image: busybox, command: echo, parameters: {name: a}}\n",
        lambda d: edits.remove_parameter(d, "s", "a"),
    ),
    "rename-parameter-params-scalar": (
        "- step: {name: s, image: busybox, command: echo, parameters: 3}\n",
        lambda d: edits.rename_parameter(d, "s", "a", "b"),
    ),
}


@pytest.mark.parametrize("case", sorted(_MALFORMED))
def test_edit_of_a_malformed_file_is_refused_with_an_edit_error(case: str) -> None:
    text, edit = _MALFORMED[case]
    doc = YamlDocument.from_text(text)
    with pytest.raises(EditError):
        edit(doc)
    assert doc.text == text
