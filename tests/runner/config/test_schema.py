"""Our inlined-$ref validator gives exactly valohai-yaml's verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest
from valohai_yaml.validation import get_validator

from runner.config import ConfigLoadError, load
from runner.config.schema import validator
from tests.support.paths import REPO as ROOT

CANDIDATES = [
    *ROOT.parent.glob("shared/corpus/*/*.yaml"),
    *ROOT.glob("tests/data/*.yaml"),
    *ROOT.glob("examples/**/*.yaml"),
]


def _loadable(path: Path) -> bool:
    try:
        load(path)
    except ConfigLoadError:
        return False
    return True


FILES = sorted(p for p in CANDIDATES if _loadable(p))


def errors(v, data):
    return sorted((list(e.absolute_path), e.message, e.validator) for e in v.iter_errors(data))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_same_errors_as_valohai_yaml(path: Path) -> None:
    data = load(path).data
    assert errors(validator(), data) == errors(get_validator(), data)


def test_corpus_is_present() -> None:
    assert len(FILES) >= 30


@pytest.mark.parametrize(
    "data",
    [
        [{"step": {"name": "x", "image": 1, "command": []}}],
        [{"pipeline": {"name": "p", "nodes": [{"name": "n", "type": "bogus"}], "edges": [["a"]]}}],
        [{"endpoint": {"name": "e"}}, "scalar", {"task": {}}],
        {"not": "a list"},
    ],
)
def test_same_errors_on_broken_data(data: object) -> None:
    assert errors(validator(), data) == errors(get_validator(), data)


def test_schema_is_valohai_yamls() -> None:
    from valohai_yaml.validation import get_json_schema

    from runner.config.schema import json_schema

    assert json_schema() == get_json_schema()


def _variants(data: object, limit: int = 40) -> list[object]:
    """Broken copies of ``data``: in turn, each mapping gets an unknown key and loses its
    first key, each string becomes a number, each list becomes a string (the first ``limit``)."""
    import copy

    found: list[object] = []

    def walk(node: object, replace) -> None:  # replace(new) -> a copy of data with node swapped
        if len(found) >= limit:
            return
        if isinstance(node, dict):
            found.append(replace({**node, "zz-unknown": 1}))
            if node:
                found.append(replace(dict(list(node.items())[1:])))
            for key, value in node.items():
                walk(value, lambda new, k=key, r=replace, n=node: r({**n, k: new}))
        elif isinstance(node, list):
            found.append(replace("not a list"))
            for i, value in enumerate(node):
                walk(value, lambda new, i=i, r=replace, n=node: r([*n[:i], new, *n[i + 1 :]]))
        elif isinstance(node, str):
            found.append(replace(12345))

    walk(copy.deepcopy(data), lambda new: new)
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_compiled_check_gives_jsonschemas_verdict(path: Path) -> None:
    """What makes the fast path safe: jsonschema-rs calls valid exactly what jsonschema does,
    on the file and on broken variants of it."""
    from runner.config.schema import compiled_check, schema_errors

    check = compiled_check()
    assert check is not None
    official = get_validator()
    for data in [load(path).data, *_variants(load(path).data)]:
        verdict = not list(official.iter_errors(data))
        assert check(data) == verdict, data
        assert errors(validator(), data) == sorted(
            (list(e.absolute_path), e.message, e.validator) for e in schema_errors(data)
        )


def test_values_that_are_not_json_are_judged_by_jsonschema() -> None:
    import datetime

    from runner.config.schema import schema_errors

    data = [{"step": {"name": "x", "image": datetime.date(2026, 1, 2), "command": "true"}}]
    assert errors(validator(), data) == sorted(
        (list(e.absolute_path), e.message, e.validator) for e in schema_errors(data)
    )
    assert schema_errors(data)


def test_a_large_file_gets_jsonschemas_errors_through_the_compiled_check() -> None:
    from runner.config.schema import COMPILE_FROM_ITEMS, schema_errors

    step = {"image": "busybox", "command": "true"}
    steps = [{"step": {"name": f"s{i}", **step}} for i in range(COMPILE_FROM_ITEMS)]
    assert schema_errors(steps) == []
    steps[7]["step"]["image"] = 3
    steps[9]["step"]["bogus"] = True
    found = sorted((list(e.absolute_path), e.message, e.validator) for e in schema_errors(steps))
    assert found == errors(validator(), steps) == errors(get_validator(), steps)
    assert len(found) >= 2
