"""The drawing envelope keeps every spike of the visible range at any zoom, and the points
themselves when they are few (no Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from designer.run.envelope import Envelope


def _series(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return np.arange(n, dtype=float), np.cumsum(rng.normal(size=n))


@pytest.mark.parametrize(
    ("n", "view"), [(1_000_003, None), (1_000_003, (123_456.5, 654_321.0)), (50_000, (10.0, 30_000.0))]
)
def test_every_visible_extreme_is_drawn_within_a_quarter_column(n, view) -> None:
    x, y = _series(n)
    y[777_777 % n] = 1e6  # a one-point spike, and a dip
    y[(777_777 + 12_345) % n] = -1e6
    env = Envelope()
    env.update(x, y)
    pixels = 800
    xd, yd = env.columns(x, y, view, pixels)
    assert len(xd) <= 2 * pixels + 2  # what setData gets stays small
    x0, x1 = view or (x[0], x[-1])
    inside = (x >= x0) & (x <= x1)
    assert yd.max() >= y[inside].max() and yd.min() <= y[inside].min()  # spikes are never dropped
    width = (x1 - x0) / pixels
    for i in np.flatnonzero(inside)[:: max(1, inside.sum() // 2000)]:  # each point: its column covers it
        near = np.abs(xd - x[i]) <= width * 1.25
        assert yd[near].min() <= y[i] <= yd[near].max()


def test_zoomed_in_far_enough_the_points_themselves_are_drawn() -> None:
    x, y = _series(200_000)
    env = Envelope()
    env.update(x, y)
    xd, yd = env.columns(x, y, (1000.0, 1400.0), 1000)
    assert xd[0] <= 1000 and xd[-1] >= 1400  # one point beyond each edge, so lines reach them
    np.testing.assert_array_equal(yd, y[999:1402])


def test_appending_gives_the_same_envelope_as_building_it_at_once() -> None:
    x, y = _series(300_000, seed=3)
    grown, whole = Envelope(), Envelope()
    for n in (1, 7, 8, 9, 63, 64, 65, 4_000, 70_001, 300_000):
        grown.update(x[:n], y[:n])
    whole.update(x, y)
    for view in (None, (5_000.0, 250_000.0)):
        a, b = grown.columns(x, y, view, 640), whole.columns(x, y, view, 640)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


def test_a_series_whose_x_goes_back_is_binned_in_point_order() -> None:
    x = np.tile(np.arange(1000, dtype=float), 100)  # x = a key that restarts (epoch per run)
    y = np.sin(np.arange(len(x)) / 50.0)
    env = Envelope()
    env.update(x, y)
    assert not env.ascending
    _xd, yd = env.columns(x, y, (0.0, 10.0), 500)
    assert len(yd) <= 1002 and yd.max() == y.max() and yd.min() == y.min()
