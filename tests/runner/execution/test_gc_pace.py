"""The collector's pace a run sets (runner.execution.gc_pace): young collections rarer, a
higher threshold or a collector turned off left as they are."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from runner.execution.gc_pace import YOUNG, pace_for_streaming


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_the_default_pace_is_slowed_for_streaming() -> None:
    gc.set_threshold(700, 10, 10)
    pace_for_streaming()
    young, middle, old = gc.get_threshold()
    assert young == YOUNG and middle >= 10 and old == 10


def test_a_higher_threshold_or_a_collector_turned_off_is_kept() -> None:
    gc.set_threshold(200_000, 50, 5)
    pace_for_streaming()
    assert gc.get_threshold() == (200_000, 50, 5)
    gc.set_threshold(0, 10, 10)
    pace_for_streaming()
    assert gc.get_threshold() == (0, 10, 10)
