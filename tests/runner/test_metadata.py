from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from runner.metadata import latest_values, parse_metadata_line, rank_children, with_time


def test_json_object_lines_are_metadata() -> None:
    assert parse_metadata_line('{"a": 1, "b": "x"}') == {"a": 1, "b": "x"}
    assert parse_metadata_line('  {"cm": {"data": [[1, 2], [3, 4]]}}\r') == {"cm": {"data": [[1, 2], [3, 4]]}}
    nan = parse_metadata_line('{"loss": NaN, "x": Infinity}')
    assert nan is not None and math.isnan(nan["loss"]) and nan["x"] == math.inf
    assert parse_metadata_line('{"n": "1"}') == {"n": "1"}  # no coercion


def test_other_lines_are_plain_log() -> None:
    for line in ["", "{", "[1, 2]", 'epoch {"a": 1}', '{"a": 1} trailing', "{not json}", "{}x", '"{}"']:
        assert parse_metadata_line(line) is None, line


def test_time_and_latest_values() -> None:
    rec = with_time({"a": 1}, 0.0)
    assert rec["_time"] == "1970-01-01T00:00:00Z"
    assert with_time({"_time": "mine"}, 0.0)["_time"] == "mine"
    assert latest_values([{"a": 1, "_time": "t"}, {"b": 2}, {"a": 3}]) == {"a": 3, "b": 2}


def test_ranking_best_first_missing_last() -> None:
    by_child: dict[int, list[dict[str, Any]]] = {
        1: [{"acc": 0.5}, {"acc": 0.7}],
        2: [{"acc": 0.9}],
        3: [{"loss": 1.0}],  # never printed acc
        4: [{"acc": 0.7}],
        5: [{"acc": float("nan")}],
        6: [{"acc": "high"}],
        7: [{"acc": float("inf")}],
    }
    ranked = rank_children(by_child, "acc")
    assert ranked[:3] == [(2, 0.9), (1, 0.7), (4, 0.7)]  # latest values, ties in execution order
    assert sorted(ranked[3:]) == [(3, None), (5, None), (6, None), (7, None)]  # inf too: not a score
    assert [k for k, _v in rank_children(by_child, "acc", descending=False)][:3] == [1, 4, 2]


_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
_VALUES = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3)
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(), _VALUES, max_size=6))
def test_a_metadata_line_reads_as_json_loads_reads_it(record: dict) -> None:
    line = json.dumps(record)  # NaN and infinities bare, as valohai-utils prints them
    assert json.dumps(parse_metadata_line(line)) == json.dumps(json.loads(line))
