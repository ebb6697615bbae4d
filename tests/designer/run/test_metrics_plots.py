"""Plots that read right (issue 20) and long histories (issue 14), offscreen with real records:
the x label follows the selector, a key keeps its colour, the legend moves out or hides, one plot
per key, a right-hand axis, dark mode, PNG at a chosen size, a value printed once shown as a
value, a past run read from the store's per-key index, and zooming redraws with full detail."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage, QPalette
from PySide6.QtWidgets import QApplication

from designer.run.metrics_toolbar import PER_KEY
from designer.run.plot_style import LEGEND_HIDDEN, LEGEND_OUTSIDE, key_color, key_colors
from runner.api import open_store

pytestmark = pytest.mark.gui


@pytest.fixture
def metrics(qtbot):
    from designer.run.metrics_dock import MetricsPanel

    panel = MetricsPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 450)
    panel.show()
    yield panel
    panel.shutdown()


def _records(n: int, scale: float = 1.0, with_epoch: bool = True) -> list[dict]:
    out = [{"loss": scale / (i + 1), "accuracy": 1 - 0.5 / (i + 1)} for i in range(n)]
    for i, r in enumerate(out):
        if with_epoch:
            r["epoch"] = i + 1
    return out


def _curves(plot) -> dict[str, list]:
    by_key: dict[str, list] = {}
    for curve in plot._curves.values():
        by_key.setdefault(curve.key, []).append(curve)
    return by_key


def test_the_x_axis_label_says_what_the_selector_says(qtbot, metrics) -> None:
    metrics.load_records("run-aaaaaa", "train", _records(20))
    assert metrics.plot.x_label() == "record index"
    metrics.x_combo.setCurrentText("epoch")
    assert metrics.plot.x_label() == "epoch"
    metrics.x_combo.setCurrentText("wall time")
    assert metrics.plot.x_label() == "wall time (s)"
    metrics.x_combo.setCurrentText("epoch")
    metrics.load_records("run-bbbbbb", "eval", _records(5, with_epoch=False))
    metrics.show_only({("run-bbbbbb", "eval")})  # no epoch key any more: the selector falls back
    assert metrics.x_combo.currentText() == "record index"
    assert metrics.plot.x_label() == "record index" and metrics.plot.x_key == "record index"


def test_a_key_keeps_its_colour_across_runs_and_series_differ_by_line_style(qtbot, metrics) -> None:
    metrics.load_records("run-aaaaaa", "train", [{"accuracy": 0.5}, {"accuracy": 0.6}])
    first = _curves(metrics.plot)["accuracy"][0].color
    metrics.clear()
    metrics.load_records("run-bbbbbb", "train", _records(10))  # other keys beside it this time
    metrics.load_records("run-cccccc", "train", _records(10, 2.0))
    by_key = _curves(metrics.plot)
    assert {c.color for c in by_key["accuracy"]} == {first} == {key_colors(["accuracy", "loss"])["accuracy"]}
    assert by_key["loss"][0].color != first
    assert len({c.dash for c in by_key["loss"]}) == 2  # two runs of one key: two line styles
    assert key_color("accuracy") == first  # from the name: the same in every session


def test_the_legend_goes_outside_the_plot_or_hides(qtbot, metrics) -> None:
    metrics.load_records("run-aaaaaa", "train", _records(20))
    plot = metrics.plot
    assert plot.legend.isVisible() and len(plot.legend.items) == 2
    metrics.toolbar.legend_actions[LEGEND_OUTSIDE].trigger()
    qtbot.waitUntil(lambda: plot._outside.isVisible() and len(plot._outside.items) == 2)
    QApplication.processEvents()
    assert not plot.legend.isVisible()
    outside, view = plot._outside.sceneBoundingRect(), plot.item.vb.sceneBoundingRect()
    assert outside.left() >= view.right() - 1  # right of the curves, covering none
    metrics.toolbar.legend_actions[LEGEND_HIDDEN].trigger()
    assert not plot.legend.isVisible() and not plot._outside.isVisible()


def test_one_small_plot_per_key_beside_the_overlay(qtbot, metrics) -> None:
    metrics.load_records("run-aaaaaa", "train", _records(30))
    metrics.load_records("run-bbbbbb", "train", _records(30, 3.0))
    metrics.toolbar.layout_combo.setCurrentText(PER_KEY)
    plots = metrics.per_key.plots
    assert list(plots) == ["accuracy", "loss"] and metrics.plot.curve_data() == {}
    qtbot.waitUntil(lambda: all(len(p.curve_data()) == 2 for p in plots.values()))
    assert plots["loss"].item.titleLabel.text == "loss"
    plots["accuracy"].item.vb.setXRange(5, 10, padding=0)  # zooming one moves them all
    assert plots["loss"].item.vb.viewRange()[0] == pytest.approx([5, 10])
    metrics.toolbar.layout_combo.setCurrentText("Overlay")
    assert metrics.per_key.plots == {} and len(metrics.plot.curve_data()) == 4


def test_a_key_on_the_right_hand_axis_has_its_own_scale(qtbot, metrics) -> None:
    metrics.load_records(
        "run-aaaaaa", "train", [{"loss": 1000.0 / (i + 1), "accuracy": i / 50} for i in range(50)]
    )
    metrics.set_right_axis("loss", True)
    loss = _curves(metrics.plot)["loss"][0]
    assert loss.raw.getViewBox() is metrics.plot._right_vb and metrics.plot.item.getAxis("right").isVisible()
    assert metrics.key_list.findItems("loss  (right axis)", Qt_exact())[0].font().italic()
    qtbot.waitUntil(lambda: metrics.plot._right_vb.viewRange()[1][1] > 500)  # its own y range
    assert metrics.plot.item.vb.viewRange()[1][1] < 5
    metrics.set_right_axis("loss", False)
    assert loss.raw.getViewBox() is metrics.plot.item.vb


def Qt_exact():
    from PySide6.QtCore import Qt

    return Qt.MatchFlag.MatchExactly


def test_dark_mode_plot_and_icons_follow_the_palette(qtbot, metrics) -> None:
    from designer.theme import make_palette

    app = QApplication.instance()
    old = app.palette()
    metrics.load_records("run-aaaaaa", "train", _records(20))
    try:
        app.setPalette(make_palette(True))
        QApplication.processEvents()
        dark = make_palette(True)
        assert metrics.plot_widget.backgroundBrush().color() == dark.color(QPalette.ColorRole.Base)
        text = metrics.plot.item.getAxis("left").textPen().color()
        assert text.lightness() > 150  # light ticks on the dark background
        pix = metrics.toolbar.fit_button.icon().pixmap(24, 24).toImage()
        inked = [pix.pixelColor(x, y) for x in range(24) for y in range(24)]
        inked = [c for c in inked if c.alpha() > 200]
        assert inked and min(c.lightness() for c in inked) > 150  # the icon is drawn light
    finally:
        app.setPalette(old)
        QApplication.processEvents()
    assert metrics.plot_widget.backgroundBrush().color() == old.color(QPalette.ColorRole.Base)


def test_an_unchecked_key_is_visible_in_dark_mode(qtbot, metrics) -> None:
    """Fusion's check box outline is darker than the window: on a dark list an unchecked box vanished."""
    from designer.theme import apply_theme

    app = QApplication.instance()
    metrics.load_records("run-aaaaaa", "train", _records(20))
    metrics.set_keys(["loss"])
    keys = metrics.key_list
    unchecked = keys.findItems("accuracy", Qt_exact())[0]
    try:
        apply_theme(app, dark=True)
        QApplication.processEvents()
        image = keys.viewport().grab().toImage()
        rect = keys.visualItemRect(unchecked)
        base = keys.palette().color(QPalette.ColorRole.Base).lightness()
        box = [  # the indicator, left of the key's name
            image.pixelColor(x, y).lightness()
            for x in range(rect.left(), rect.left() + 18)
            for y in range(rect.top(), rect.bottom())
        ]
        assert max(box) > base + 50, "the unchecked box is drawn on the dark list"
    finally:
        apply_theme(app, dark=False)
        QApplication.processEvents()


def test_png_export_at_a_chosen_size(qtbot, metrics, tmp_path: Path) -> None:
    metrics.load_records("run-aaaaaa", "train", _records(40))
    metrics.export_png(tmp_path / "overlay.png", (640, 360))
    image = QImage(str(tmp_path / "overlay.png"))
    assert (image.width(), image.height()) == (640, 360)
    colours = {image.pixel(x, y) for x in range(0, 640, 4) for y in range(0, 360, 4)}
    assert len(colours) > 5  # curves and axes were drawn, not a blank image
    metrics.set_layout(PER_KEY)
    metrics.export_png(tmp_path / "per-key.png", (1200, 500))
    assert QImage(str(tmp_path / "per-key.png")).size().toTuple() == (1200, 500)


def test_export_menu_asks_the_size_then_the_file(qtbot, metrics, tmp_path: Path, monkeypatch) -> None:
    """Export ▸ PNG image…: the size dialog opens on the plot's size on screen; the PNG has the size typed."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QFileDialog

    from designer.run.plot_export import ExportSizeDialog

    metrics.load_records("run-aaaaaa", "train", _records(40))
    target = tmp_path / "chosen.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    seen: list[tuple[int, int]] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, ExportSizeDialog)
        seen.append(dialog.size_chosen())
        dialog.width_box.setValue(1600)
        dialog.height_box.setValue(900)
        dialog.accept()

    QTimer.singleShot(0, answer)
    png = next(a for a in metrics.toolbar.export_button.menu().actions() if a.text().startswith("PNG"))
    png.trigger()
    shown = metrics.stack.currentWidget()
    assert seen == [(shown.width(), shown.height())]
    assert QImage(str(target)).size().toTuple() == (1600, 900)


def test_a_value_printed_once_is_shown_as_a_value_not_an_empty_plot(qtbot, metrics) -> None:
    metrics.load_records("run-aaaaaa", "evaluate", [{"test_accuracy": 0.9731}])
    assert metrics.values.isVisible() and "test_accuracy = 0.9731" in metrics.values.text_of()
    assert metrics.plot.curve_data() == {} and not metrics.stack.isVisible()
    metrics.load_records("run-aaaaaa", "train", _records(20))
    metrics.show_only({("run-aaaaaa", "train"), ("run-aaaaaa", "evaluate")})
    metrics.set_keys(["loss", "test_accuracy"])
    assert metrics.stack.isVisible() and [k for _r, _n, k in metrics.plot.curve_data()] == ["loss"]
    metrics.load_records("run-aaaaaa", "evaluate", [{"test_accuracy": 0.98}])  # printed again: a curve
    assert not metrics.values.isVisible()
    assert sorted(k for _r, _n, k in metrics.plot.curve_data()) == ["loss", "test_accuracy"]


def test_a_past_run_is_read_from_the_per_key_index_like_its_records(qtbot, metrics, tmp_path: Path) -> None:
    from designer.bridge.history import RunHistory

    _home, store, _a = open_store(tmp_path / "home")
    store.create_run("r1", started=time.time(), status="succeeded")
    store.upsert_execution("r1-train", run_id="r1", node="train", status="running")
    records = [
        {"loss": 1 / (i + 1), "_time": f"2026-01-01T00:00:{i // 1000:02d}.{i % 1000:03d}000Z"}
        for i in range(9000)
    ]
    for i in range(0, 9000, 5):
        records[i]["lr"] = 0.1 * (1 + i // 1000)  # a key in some records only
    store.add_metadata_batch("r1-train", [(i, 0.0, r) for i, r in enumerate(records)])
    store.upsert_execution("r1-train", status="succeeded")
    store.close()
    history = RunHistory(tmp_path / "home")
    metrics.load_stored("r1", "train", history.metric_series("r1-train"))
    metrics.load_records("json", "train", history.metadata("r1-train"))
    a, b = metrics.sources[("r1", "train")], metrics.sources[("json", "train")]
    for key in ("loss", "lr"):
        for x_key in ("record index", "wall time", "loss"):
            np.testing.assert_array_equal(a.xy(key, x_key)[0], b.xy(key, x_key)[0])
            np.testing.assert_array_equal(a.xy(key, x_key)[1], b.xy(key, x_key)[1])


def test_zooming_redraws_the_visible_range_with_full_detail(qtbot, metrics) -> None:
    from designer.run.series import MetricSource

    n = 2_000_000
    y = np.cumsum(np.random.default_rng(0).normal(size=n))
    y[1_234_567] += 1e5  # one spike
    src = MetricSource("big", "train")
    src.fill(np.arange(n, dtype=float), {"loss": y})
    metrics.sources[("big", "train")] = src
    metrics.plot.set_curves([(src, "loss")])
    metrics.plot.refresh()
    (xd, yd) = next(iter(metrics.plot.drawn_data().values()))
    assert len(xd) < 5_000 and yd.max() == y.max()  # all of it, as its envelope
    metrics.plot.item.vb.setXRange(1_234_000, 1_235_000, padding=0)
    qtbot.waitUntil(lambda: next(iter(metrics.plot.drawn_data().values()))[0][0] >= 1_233_000)
    xd, yd = next(iter(metrics.plot.drawn_data().values()))
    np.testing.assert_array_equal(yd, y[int(xd[0]) : int(xd[-1]) + 1])  # zoomed in: every point
    assert yd.max() == y.max()
    metrics.fit()
    qtbot.waitUntil(lambda: next(iter(metrics.plot.drawn_data().values()))[0][0] == 0)
