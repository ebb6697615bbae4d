"""Exact edits: the patterns that used to re-dump or refuse the whole file, each patched at
the spans the edit concerns (every other byte kept) and checked to mean what it intends."""

from __future__ import annotations

import difflib

import pytest

from runner.config import edits, load_text
from runner.config.document import YamlDocument
from runner.config.errors import EditError
from tests.support.edit_patterns import MERGED, MIXED, REPEATED


def _changes(before: str, after: str) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def test_an_edit_inside_a_merged_mapping_falls_back_and_says_why() -> None:
    """The `<<` key used to reach PyYAML alone (it has no value outside a mapping) and its
    ConstructorError escaped as a traceback; now the edit goes through the re-dump."""
    doc = YamlDocument.from_text(MERGED)
    edits.set_step_field(doc, "evaluate", "image", "busybox")
    assert doc.last_edit_fallback == "the edit is inside a mapping merged with <<"
    removed, added = _changes(MERGED, doc.text)
    assert removed == [] and added == ["    image: busybox"]
    assert load_text(doc.text).data[1]["step"]["image"] == "busybox"


def test_a_file_with_mixed_indentation_and_flow_nodes_is_patched_in_place() -> None:
    doc = YamlDocument.from_text(MIXED)
    edits.rename_node(doc, "p", "first", "start")
    assert doc.last_edit_fallback is None
    removed, added = _changes(MIXED, doc.text)
    assert all("first" in line for line in removed) and all("start" in line for line in added)
    assert len(removed) == 3  # the node, a target, the multi-line edge's own line
    assert "          start.parameter.n," in doc.text.splitlines()  # the flow edge keeps its lines
    edits.rename_node(doc, "p", "start", "first")
    assert doc.text == MIXED


def test_a_node_added_to_a_flow_list_is_written_in_flow_style() -> None:
    doc = YamlDocument.from_text(MIXED)
    edits.add_node(doc, "p", "third", "a")
    assert doc.last_edit_fallback is None
    removed, added = _changes(MIXED, doc.text)
    assert len(removed) == len(added) == 1 and "{name: third, type: execution, step: a}" in added[0]
    edits.remove_node(doc, "p", "third")
    assert doc.text == MIXED


def test_structural_edits_next_to_pipeline_parameters_and_overrides() -> None:
    doc = YamlDocument.from_text(MIXED)
    edits.remove_node(doc, "p", "second")
    assert doc.last_edit_fallback is None
    data = load_text(doc.text).data
    pipeline = data[2]["pipeline"]
    assert [n["name"] for n in pipeline["nodes"]] == ["first"] and pipeline["edges"] == []
    assert pipeline["parameters"][0]["targets"] == ["first.parameter.n"]
    assert doc.text.splitlines()[:17] == MIXED.splitlines()[:17]  # the steps, trailing space included


def test_a_repeated_key_blocks_only_edits_inside_its_mapping() -> None:
    doc = YamlDocument.from_text(REPEATED)
    with pytest.raises(EditError, match=r'"image" appears twice in this mapping \(lines 3 and 5\)'):
        edits.set_step_field(doc, "dup", "command", "echo hi")
    assert doc.text == REPEATED
    edits.set_step_field(doc, "other", "image", "alpine")
    assert doc.text == REPEATED.replace("image: busybox", "image: alpine")
    assert doc.loaded.duplicate_keys  # lint still reports the repeat


def test_crlf_and_no_final_newline_stay() -> None:
    text = "- step:\r\n    name: s\r\n    image: busybox\r\n    command: echo"
    doc = YamlDocument.from_text(text)
    edits.add_parameter(doc, "s", {"name": "n", "default": 1})
    assert doc.last_edit_fallback is None
    assert doc.text.startswith(text) and "\n" not in doc.text.replace("\r\n", "")
    assert load_text(doc.text).data[0]["step"]["parameters"] == [
        {"type": "string", "name": "n", "default": 1}
    ]
