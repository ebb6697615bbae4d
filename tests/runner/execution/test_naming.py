"""The unit names every reader of a run shares: ``node#k`` for a task's execution, ``~1`` for an
earlier attempt (store rows, log files, the CLI's history and the designer's views)."""

from __future__ import annotations

from runner.api import is_earlier_attempt, split_unit, unit_name
from runner.execution.naming import attempt_name


def test_task_executions_round_trip_and_only_known_task_nodes_split() -> None:
    assert unit_name("train", 3) == "train#3" and unit_name("train", None) == "train"
    assert split_unit("train#3") == ("train", 3)
    assert split_unit("train#3", {"train"}) == ("train", 3)
    assert split_unit("a#1", {"train"}) == ("a#1", None)  # a node may be named a#1
    for plain in ("train", "#3", "train#", "train#x", "train#3~1"):
        assert split_unit(plain) == (plain, None)


def test_earlier_attempts_are_told_apart_from_units() -> None:
    assert attempt_name("train", 1) == "train~1" and attempt_name("train#3", 1) == "train#3~1"
    assert is_earlier_attempt("train~1") and is_earlier_attempt("t#2~1")
    assert not any(is_earlier_attempt(n) for n in ("train", "train#2", "~1", "train~", "a~b"))
