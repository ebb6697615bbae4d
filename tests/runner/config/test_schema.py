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
