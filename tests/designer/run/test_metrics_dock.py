"""The Metrics dock offscreen with real records: keys, smoothing, log y, hover, two runs overlaid,
PNG and CSV export, redraw throttled."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from runner.events import MetadataRecord

pytestmark = pytest.mark.gui


@pytest.fixture
def metrics(qtbot):
    from designer.run.metrics_dock import MetricsPanel

    panel = MetricsPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 400)
    panel.show()
    yield panel
    panel.shutdown()


def _records(n: int, scale: float = 1.0) -> list[dict]:
    return [{"epoch": i + 1, "loss": scale / (i + 1), "accuracy": 1 - 0.5 / (i + 1)} for i in range(n)]


def pg_point(x: float, y: float):
    from PySide6.QtCore import QPointF

    return QPointF(x, y)


def test_metrics_keys_smoothing_logy_and_hover(qtbot, metrics) -> None:
    metrics.add_records([MetadataRecord("run-000001", "train", r, 0.0) for r in _records(50)])
    assert metrics.checked_keys() == ["accuracy", "loss"]  # epoch goes to the x-axis list instead
    assert [metrics.x_combo.itemText(i) for i in range(metrics.x_combo.count())][2:] == [
        "accuracy",
        "epoch",
        "loss",
    ]
    qtbot.waitUntil(lambda: len(metrics.plot.curve_data()) == 2)
    qtbot.waitUntil(lambda: all(len(y) == 50 for _x, y in metrics.plot.curve_data().values()))
    metrics.x_combo.setCurrentText("epoch")
    qtbot.waitUntil(lambda: all(x[0] == 1 for x, _y in metrics.plot.curve_data().values()))
    metrics.smooth_slider.setValue(90)
    assert metrics.smooth_label.text() == "0.90"
    curve = next(iter(metrics.plot._curves.values()))
    qtbot.waitUntil(lambda: len(curve.smoothed) == 50)
    faint, strong = curve.raw.opts["pen"].color(), curve.smooth.opts["pen"].color()
    assert curve.smooth.isVisible() and curve.raw.isVisible()  # raw stays, faint (paler)
    assert faint.lightness() > strong.lightness() + 40
    assert "loss (train) = " in metrics.plot.readout(10.2) and "@ 10" in metrics.plot.readout(10.2)
    # the hover read-out follows the mouse over the plot
    vb = metrics.plot.item.vb
    metrics.plot_widget.scene().sigMouseMoved.emit(vb.mapViewToScene(pg_point(20.0, 0.5)))
    assert "@ 20" in metrics.readout.text() and "accuracy (train)" in metrics.readout.text()
    metrics.log_y.setChecked(True)
    assert metrics.plot.item.ctrl.logYCheck.isChecked()
    # unchecking a key removes its curve
    metrics.key_list.findItems("accuracy", Qt.MatchFlag.MatchExactly)[0].setCheckState(
        Qt.CheckState.Unchecked
    )
    assert [k for _r, _n, k in metrics.plot.curve_data()] == ["loss"]


def test_metrics_overlay_two_runs_and_export(qtbot, metrics, tmp_path: Path) -> None:
    metrics.load_records("run-aaaaaa", "train", _records(20))
    metrics.load_records("run-bbbbbb", "train", _records(30, 2.0))
    assert len(metrics.checked_sources()) == 2
    qtbot.waitUntil(lambda: len(metrics.plot.curve_data()) == 4)
    assert len(metrics.plot.legend.items) == 4
    metrics.export_png(tmp_path / "m.png")
    image = QImage(str(tmp_path / "m.png"))
    assert not image.isNull() and image.width() > 300
    assert metrics.export_csv(tmp_path / "m.csv") == 2 * 20 + 2 * 30
    with open(tmp_path / "m.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["run"] for r in rows} == {"run-aaaaaa", "run-bbbbbb"}
    metrics.show_only({("run-bbbbbb", "train")})
    assert [s.run_id for s in metrics.checked_sources()] == ["run-bbbbbb"]
    qtbot.waitUntil(lambda: len(metrics.plot.curve_data()) == 2)


def test_metrics_redraw_is_throttled_not_per_record(qtbot, metrics) -> None:
    frames0 = metrics.plot.frames
    t0 = time.monotonic()
    for i in range(2000):  # 2000 separate batches within a fraction of a second
        metrics.add_records([MetadataRecord("r", "n", {"loss": float(i)}, 0.0)])
    qtbot.waitUntil(lambda: len(next(iter(metrics.plot.curve_data().values()))[1]) == 2000)
    elapsed = time.monotonic() - t0
    assert metrics.plot.frames - frames0 <= elapsed / 0.04 + 3  # at most one setData pass per frame
