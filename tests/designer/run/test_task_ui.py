"""Issue 7's run UI on a real window, fed synthetic runner events through the bridge's signals:
a task node's counter, overlay, ranking and execution logs; approval buttons on the node, in
the banner and the context menu; an endpoint's URL. The engine runs them in test_task_e2e.py."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import QContextMenuEvent, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication, QMenu

from designer.bridge.batching import Batch
from designer.canvas.style import AWAITING_FILL
from runner.events import (
    ApprovalRequested,
    ApprovalResolved,
    EndpointReady,
    EndpointStopped,
    LogLine,
    MetadataRecord,
    NodeStateChanged,
    RunFinished,
    RunStarted,
    TaskExpanded,
    TaskProgress,
)
from tests.support.paths import REPO

pytestmark = pytest.mark.gui
R = "run-0000a7"
GRID = tuple({"learning_rate": lr, "depth": d} for lr in (0.03, 0.1, 0.3) for d in (2, 3))


@pytest.fixture
def sweep_yaml(tmp_path: Path) -> Path:
    target = tmp_path / "tabular-sweep"
    shutil.copytree(REPO / "examples" / "tabular-sweep", target, ignore=shutil.ignore_patterns("__pycache__"))
    return target / "valohai.yaml"


def send(ui: Any, *events: Any) -> None:
    """Deliver events the way the worker does: one batch, one signal per kind."""
    batch = Batch()
    for e in events:
        batch.add(e)
    ui.controller.events.emit_batch(batch)
    if batch.finished is not None:
        ui.controller.events.run_finished.emit(batch.finished)


def start(ui: Any) -> None:
    send(ui, RunStarted(R, "churn-pipeline", ("preprocess", "train", "evaluate", "release"), 0.0))


def click_item(qtbot: Any, view: Any, item: Any) -> None:
    """A real mouse click in the canvas view on the middle of a scene item."""
    view.ensureVisible(item)
    pos = view.mapFromScene(item.sceneBoundingRect().center())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(pos.x(), pos.y()))


def test_task_counter_overlay_ranking_and_execution_logs(qtbot, make_run_window, sweep_yaml) -> None:
    ui = make_run_window(sweep_yaml)
    start(ui)
    child_running = [NodeStateChanged(R, "train", "running", 1.0, child=k) for k in range(1, 7)]
    send(ui, TaskExpanded(R, "train", GRID), NodeStateChanged(R, "train", "running", 1.0), *child_running)
    strips = ui.live.strips.strips
    assert strips["train"].chips["counter"].text == "0/6"
    acc = {1: 0.61, 2: 0.72, 3: 0.93, 4: 0.55, 5: 0.88}  # #6 prints no accuracy
    records = [
        MetadataRecord(R, "train", {"epoch": e, "accuracy": a * e / 3, "loss": 1 - a * e / 3}, 1.0, child=k)
        for e in (1, 2, 3)
        for k, a in acc.items()
    ] + [MetadataRecord(R, "train", {"epoch": 1, "loss": 2.0}, 1.0, child=6)]
    logs = [LogLine(R, "train", "stdout", f"hello from {k}", 1.0, child=k) for k in range(1, 7)]
    send(ui, *records, *logs, NodeStateChanged(R, "train", "failed", 2.0, exit_code=1, child=6))
    send(ui, TaskProgress(R, "train", 6, 3, 2, 1))
    assert strips["train"].chips["counter"].text == "3/6 · 1 failed"
    assert ui.controller.states.state("train").status == "running"  # #6 failing is not train failing
    assert ui.badges.badges["train"].text.startswith("running")

    ui.window.scene.select_node("train")
    metrics = ui.metrics
    assert metrics.task == (R, "train") and metrics.ranking.isVisible()
    assert metrics.ranking.metric.currentText() == "accuracy"
    qtbot.waitUntil(lambda: len(metrics.plot.curve_data()) == 5)  # one curve per execution with it
    names = sorted(c.name for c in metrics.plot._curves.values())
    assert names[0] == "accuracy — #1 learning_rate=0.03 depth=2 · 0000a7"
    assert metrics.ranking.order_shown() == [3, 5, 2, 1, 4, 6]  # best first, #6 (none) last
    best = metrics.ranking.table.item(0, 2)
    assert best.text() == "learning_rate=0.1 depth=2" and best.font().bold()
    last = [metrics.ranking.table.item(5, col).text() for col in (0, 3, 4)]
    assert last == ["–", "–", "failed"]
    metrics.ranking.order.click()  # ascending
    assert metrics.ranking.order_shown() == [4, 1, 2, 5, 3, 6]
    metrics.ranking.metric.setCurrentText("loss")
    qtbot.waitUntil(lambda: len(metrics.plot.curve_data()) == 6)
    assert not metrics.ranking.descending  # lower loss is better
    assert metrics.ranking.order_shown()[0] == 3 and metrics.ranking.order_shown()[-1] == 6

    logs_panel = ui.logs
    assert logs_panel.child_combo.isVisible()
    combo = [logs_panel.child_combo.itemText(i) for i in range(logs_panel.child_combo.count())]
    assert combo[:2] == ["all", "#1 learning_rate=0.03 depth=2"] and len(combo) == 7
    assert logs_panel.view.toPlainText().splitlines() == [f"#{k} hello from {k}" for k in range(1, 7)]
    logs_panel.pick_execution(2)
    assert logs_panel.shown == (R, "train#2")
    assert logs_panel.view.toPlainText() == "hello from 2"

    ui.window.scene.select_node("evaluate")  # not a task: no picker, no ranking
    assert not logs_panel.child_combo.isVisible() and metrics.task is None and not metrics.ranking.isVisible()


class _Urls(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


def test_approval_buttons_on_the_node_banner_and_menu(qtbot, make_run_window, sweep_yaml) -> None:
    ui = make_run_window(sweep_yaml)
    answers: list[tuple[str, str]] = []
    ui.controller.approve = lambda node: answers.append(("approve", node))
    ui.controller.reject = lambda node: answers.append(("reject", node))
    start(ui)
    send(
        ui,
        NodeStateChanged(R, "evaluate", "awaiting-approval", 1.0),
        ApprovalRequested(R, "evaluate", "node-starting", "check the sweep first"),
    )
    item = ui.window.scene.node_items["evaluate"]
    assert item.status == "awaiting-approval"
    ui.window.view.ensureVisible(item)
    spot = ui.window.view.mapFromScene(item.mapToScene(item.width / 2, item.height - 3))
    fill = ui.window.view.viewport().grab().toImage().pixelColor(spot)
    assert fill.name() == AWAITING_FILL  # the card is amber, not only its outline
    assert ui.badges.badges["evaluate"].text == "awaiting approval"
    strip = ui.live.strips.strips["evaluate"]
    assert [c.text for c in strip.chips.values()] == ["awaiting approval", "Approve", "Reject"]
    click_item(qtbot, ui.window.view, strip.chips["approve"])
    assert answers == [("approve", "evaluate")]
    assert ui.window.scene.selected_node_names() == []  # the click was the button's, not the node's
    click_item(qtbot, ui.window.view, strip.chips["reject"])
    assert answers[-1] == ("reject", "evaluate")
    # the banner, so the pause is not missed, and the notification
    assert ui.live.banner_bar.isVisible()
    approve_b, _reject_b = ui.live.banner.buttons("evaluate")
    assert "check the sweep first" in ui.live.banner.rows["evaluate"][0].text()
    qtbot.mouseClick(approve_b, Qt.MouseButton.LeftButton)
    assert answers[-1] == ("approve", "evaluate")
    assert any("evaluate awaits approval" in n for n in ui.notifications)
    menu = ui.live.node_menu("evaluate")
    texts = [a.text() for a in menu.actions()]
    assert texts[:2] == ["Approve", "Reject"]
    menu.actions()[1].trigger()
    assert answers[-1] == ("reject", "evaluate")
    assert ui.live.node_menu("preprocess") is None  # nothing of the run's to offer there
    # a real right-click on the node pops the menu up
    view = ui.window.view
    pos = view.mapFromScene(item.sceneBoundingRect().center())
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, view.viewport().mapToGlobal(pos))
    QApplication.sendEvent(view.viewport(), event)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    popup = QApplication.activePopupWidget()
    assert [a.text() for a in popup.actions()][:2] == ["Approve", "Reject"]
    popup.close()
    send(ui, ApprovalResolved(R, "evaluate", True), NodeStateChanged(R, "evaluate", "running", 2.0))
    assert "evaluate" not in ui.live.strips.strips
    assert not ui.live.banner_bar.isVisible()
    send(ui, RunFinished(R, "stopped", {"evaluate": "succeeded", "release": "skipped"}, 3.0))
    assert ui.notifications[-1].startswith(f"Run {R}: stopped")


def test_endpoint_url_on_the_node(qtbot, make_run_window, sweep_yaml) -> None:
    ui = make_run_window(sweep_yaml)
    urls = _Urls()
    QDesktopServices.setUrlHandler("http", urls, "open")
    try:
        start(ui)
        assert not ui.live.stop_endpoints_action.isEnabled()
        url = "http://127.0.0.1:49153/"
        send(ui, EndpointReady(R, "release", "churn-predict", url, "vh-run-release"))
        chip = ui.live.strips.strips["release"].chips["url"]
        assert chip.text == url
        click_item(qtbot, ui.window.view, chip)
        assert urls.opened == [url]  # the default browser, through QDesktopServices
        menu = ui.live.node_menu("release")
        actions = {a.text(): a for a in menu.actions()}
        actions["Copy Endpoint URL"].trigger()
        assert QGuiApplication.clipboard().text() == url
        send(ui, EndpointStopped(R, "release", "churn-predict"))
        chips = ui.live.strips.strips["release"].chips
        assert chips["url-state"].text == "stopped" and chips["url"].look.struck
        assert chips["url"].on_click is None
    finally:
        QDesktopServices.unsetUrlHandler("http")
