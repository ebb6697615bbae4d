"""Status badges: words as well as colour, and badges on the canvas that follow the state model."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QFontMetricsF

from designer.bridge.node_states import NodeState
from designer.run.status_badge import badge_text, format_elapsed
from tests.support.paths import REPO


def test_badge_words_never_colour_alone() -> None:
    assert badge_text(NodeState("running", started=100.0), now=165.0) == "running 1:05"
    assert badge_text(NodeState("failed", exit_code=2)) == "failed (exit 2)"
    for status in ("queued", "succeeded", "skipped", "reused", "cancelled"):
        assert badge_text(NodeState(status)) == status
    assert format_elapsed(3725) == "1:02:05"


@pytest.mark.gui
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
