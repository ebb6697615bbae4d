"""Run-side widgets offscreen with real data (no engine): metrics, logs, dialog, outputs, runs."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QFontMetricsF, QGuiApplication, QImage
from PySide6.QtWidgets import QDialogButtonBox

from runner.events import LogLine, MetadataRecord
from tests.support.paths import REPO

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


def test_logs_panel_streams_searches_follows_and_copies(qtbot) -> None:
    from designer.run.logs_panel import LogsPanel

    panel = LogsPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 300)
    panel.show()
    panel.show_log("r1", "train")
    lines = [LogLine("r1", "train", "stdout", f"epoch {i} done", 0.0) for i in range(300)]
    lines.append(LogLine("r1", "train", "stderr", "Warning: slow disk", 0.0))
    lines.append(LogLine("r1", "train", "stdout", '{"loss": 0.25}', 0.0))
    lines.append(LogLine("r1", "other", "stdout", "not shown here", 0.0))
    panel.add_lines(lines)
    assert panel.view.document().blockCount() == 302
    assert "not shown here" not in panel.view.toPlainText()
    bar = panel.view.verticalScrollBar()
    assert bar.value() == bar.maximum() > 0  # follow-tail
    # formats: stderr red-ish, metadata highlighted
    doc = panel.view.document()
    stderr_fmt = doc.findBlockByNumber(300).begin().fragment().charFormat()
    meta_fmt = doc.findBlockByNumber(301).begin().fragment().charFormat()
    assert stderr_fmt.foreground().color().red() > 150
    assert meta_fmt.background().style() != Qt.BrushStyle.NoBrush
    qtbot.keyClicks(panel.search, "epoch 29")
    assert panel.match_label.text() == "11 matches"  # 29 and 290..299
    panel.find_next()
    assert panel.current_match() == 29 and not panel.follow.isChecked()
    assert panel.view.textCursor().block().text() == "epoch 29 done"
    panel.find_previous()
    assert panel.current_match() == 299
    panel.find_next()
    assert panel.current_match() == 29
    panel.add_lines([LogLine("r1", "train", "stdout", "more", 0.0)])
    assert bar.value() < bar.maximum()  # follow is off: the view stays where the user looked
    panel.add_lines([LogLine("r1", "train", "stdout", "epoch 29 again", 0.0)])
    assert panel.match_label.text() == "1 of 12"  # the search follows new lines, keeping its place
    panel.copy()
    assert QGuiApplication.clipboard().text().startswith("epoch 0 done\nepoch 1 done")


def test_run_dialog_remembers_the_last_choice(qtbot, tmp_path: Path) -> None:
    from designer.run.run_dialog import RunDialog, parse_value

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    dialog = RunDialog("train", [("lr", 0.1), ("name", "x")], settings)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.edits["lr"], "0.5")
    dialog.reuse.setChecked(False)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.params() == {"lr": 0.5}
    again = RunDialog("train", [("lr", 0.1), ("name", "x")], settings)
    qtbot.addWidget(again)
    assert again.edits["lr"].text() == "0.5" and again.edits["name"].text() == ""
    assert not again.reuse.isChecked() and again.target.currentText() == "local"
    assert (
        parse_value("true") is True
        and parse_value("[1, 2]") == [1, 2]
        and parse_value("a: b: c") == "a: b: c"
    )


def _store_run(home: Path, run_id: str, lr: float, files: dict[str, bytes]) -> None:
    from runner.api import open_store

    _home, store, artifacts = open_store(home)
    t = time.time()
    store.create_run(run_id, pipeline="p", yaml_path="/x/valohai.yaml", started=t - 5, status="running")
    store.upsert_execution(
        f"{run_id}-train",
        run_id=run_id,
        node="train",
        step="train",
        status="succeeded",
        parameters={"lr": lr, "epochs": 3},
        started=t - 4,
        ended=t,
    )
    for i in range(3):
        store.add_metadata(
            f"{run_id}-train", i, t, {"epoch": i, "loss": lr / (i + 1), "_time": "2026-01-01T00:00:00Z"}
        )
    outs = []
    for name, data in files.items():
        src = home / "tmp-src"
        src.write_bytes(data)
        sha, size = artifacts.put_file(src)
        outs.append({"path": name, "sha256": sha, "size": size})
    store.add_outputs(f"{run_id}-train", outs)
    store.finish_run(run_id, "succeeded", t)
    store.close()


def test_outputs_preview_and_runs_browser_compare(qtbot, tmp_path: Path) -> None:
    from designer.bridge.history import RunHistory
    from designer.run.outputs_panel import OutputsPanel
    from designer.run.runs_browser import RunsBrowser

    home = tmp_path / "home"
    _store_run(home, "20260101-000000-aaaaaa", 0.1, {"table.csv": b"a,b\n1,2\n", "blob.bin": b"\x00\x01"})
    _store_run(home, "20260101-000100-bbbbbb", 0.2, {})
    history = RunHistory(home)
    panel = OutputsPanel(history)
    qtbot.addWidget(panel)
    panel.show_execution(history.execution("20260101-000000-aaaaaa", "train"))
    assert [r["path"] for r in panel.rows] == ["blob.bin", "table.csv"]
    assert panel.table.item(0, 1).text() == "2 B"
    panel.table.selectRow(1)
    assert panel.preview.currentWidget() is panel.preview_text
    assert panel.preview_text.toPlainText() == "a,b\n1,2\n"
    exported = panel.exported(panel.rows[1])
    assert exported.read_bytes() == b"a,b\n1,2\n" and exported.name == "table.csv"
    browser = RunsBrowser(history)
    qtbot.addWidget(browser)
    browser.set_file("/x/valohai.yaml")
    browser.refresh()
    assert browser.visible_ids() == ["20260101-000100-bbbbbb", "20260101-000000-aaaaaa"]
    headers = browser.model.headers()
    top = {h: browser.proxy.index(0, c).data() for c, h in enumerate(headers)}
    assert top["Run"] == "20260101-000100-bbbbbb" and "succeeded" in top["Status"]
    assert top["Duration"] == "0:05" and top["loss"] == "0.06667" and top["lr"] == "0.2"
    with qtbot.waitSignal(browser.compare_requested) as blocker:
        browser.table.selectAll()
        browser.compare_b.click()
    assert blocker.args == ["20260101-000000-aaaaaa", "20260101-000100-bbbbbb"]
    assert json.dumps(history.metadata("20260101-000000-aaaaaa-train")[0]["epoch"]) == "0"


def test_badges_follow_the_state_model_on_the_canvas(qtbot, tmp_path, monkeypatch) -> None:
    from designer.app import create_app
    from designer.main_window import MainWindow
    from designer.run.integration import attach_run_ui
    from designer.run.status_badge import HEIGHT
    from runner.events import NodeStateChanged

    monkeypatch.setenv("PIPELINE_DESIGNER_RECOVERY_DIR", str(tmp_path / "rec"))
    create_app()
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    example = REPO / "examples" / "valohai.yaml"
    assert window.files.open_path(example, confirm=False)
    ui = attach_run_ui(window, home=tmp_path / "home")
    model = ui.controller.states
    model.reset("r", ["preprocess", "train", "evaluate"])
    assert {n: b.text for n, b in ui.badges.badges.items()} == dict.fromkeys(
        ("preprocess", "train", "evaluate"), "queued"
    )
    now = time.time()
    model.apply(NodeStateChanged("r", "preprocess", "running", now - 61))
    model.apply(NodeStateChanged("other-run", "train", "failed", now))  # ignored: another run
    assert ui.badges.badges["preprocess"].text.startswith("running 1:0")
    assert ui.badges.badges["train"].text == "queued"
    badge = ui.badges.badges["preprocess"]
    assert badge.parentItem() is window.scene.node_items["preprocess"]
    queued = ui.badges.badges["evaluate"]  # the pill fits its words
    words = QFontMetricsF(queued._font).horizontalAdvance("queued")
    assert queued.boundingRect().width() >= words + HEIGHT + 8  # icon, words, padding
    model.apply(NodeStateChanged("r", "preprocess", "succeeded", now))
    assert model.progress() == (1, 3) and badge.text == "succeeded"
    # the canvas' own coloured outline (PipelineScene.set_node_status) follows too
    assert window.scene.node_status["preprocess"] == "succeeded"
    assert window.scene.node_items["preprocess"].status == "succeeded"
    # the scene rebuilds its items: badges follow the new items
    window.scene.clear_all()
    window.show_pipeline("another")  # unknown name: the window shows nothing
    window.show_pipeline("training-pipeline")
    ui.badges.sync()
    assert ui.badges.badges["preprocess"].parentItem() is window.scene.node_items["preprocess"]
    assert np.isclose(len(ui.badges.badges), 3)
    ui.shutdown()


def test_logs_view_is_throttled_but_keeps_every_line(qtbot) -> None:
    from designer.run.logs_panel import LINES_PER_TICK, LogsPanel

    panel = LogsPanel()
    qtbot.addWidget(panel)
    panel.show_log("r", "n")
    burst = [LogLine("r", "n", "stdout", f"l{i}", 0.0) for i in range(20_000)]
    panel.add_lines(burst)
    assert len(panel.lines()) == 20_000  # the data, all of it, at once
    assert panel.view.document().blockCount() <= LINES_PER_TICK  # the view, a slice a tick
    qtbot.waitUntil(lambda: panel.view.document().blockCount() == 20_000, timeout=10_000)
    assert panel.view.document().lastBlock().text() == "l19999"


def test_outputs_image_preview(qtbot, tmp_path: Path) -> None:
    from PySide6.QtGui import QColor

    from designer.bridge.history import RunHistory
    from designer.run.outputs_panel import OutputsPanel

    image = QImage(64, 32, QImage.Format.Format_RGB32)
    image.fill(QColor("#2f7fe0"))
    png = tmp_path / "p.png"
    assert image.save(str(png))
    home = tmp_path / "home"
    _store_run(home, "20260101-000000-cccccc", 0.1, {"plot.png": png.read_bytes(), "bad.png": b"not png"})
    history = RunHistory(home)
    panel = OutputsPanel(history)
    qtbot.addWidget(panel)
    panel.show_execution(history.execution("20260101-000000-cccccc", "train"))
    paths = [r["path"] for r in panel.rows]
    panel.table.selectRow(paths.index("plot.png"))
    assert panel.preview.currentWidget() is panel.preview_image
    assert panel.preview_image.pixmap().width() > 64  # scaled up to the preview size, aspect kept
    panel.table.selectRow(paths.index("bad.png"))
    assert panel.preview.currentWidget() is panel.preview_none
    assert panel.preview_none.text() == "Not a readable image"


def test_run_dialog_tells_where_a_pipeline_parameter_goes(qtbot, tmp_path: Path) -> None:
    from valohai_yaml.objs.pipelines.pipeline_parameter import PipelineParameter

    from designer.run.run_commands import parameter_note
    from designer.run.run_dialog import RunDialog

    param = PipelineParameter(
        name="lr", targets=["train.parameter.learning_rate", "eval.parameter.lr"], description="Step size"
    )
    note = parameter_note(param)
    assert note.splitlines()[:2] == ["Step size", "Sets train.parameter.learning_rate, eval.parameter.lr"]
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    dialog = RunDialog("train", [("lr", 0.1)], settings, notes={"lr": note})
    qtbot.addWidget(dialog)
    assert dialog.edits["lr"].toolTip() == note
