"""Finding what failed on the real engine: Go to next failure, the failing line in the badge's
tooltip, a failed badge visible at any zoom, wrapped log lines; and after Run this node, the other
nodes' earlier results with what the file changed since."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPlainTextEdit

from designer.run.status_badge import MIN_FAILED_PX

pytestmark = [pytest.mark.docker, pytest.mark.gui]

TRACEBACK = (
    "echo 'Traceback (most recent call last):' >&2; "
    "echo '  File \"/valohai/repository/train.py\", line 3, in <module>' >&2; "
    "echo '    raise ValueError(lr)' >&2; "
    "echo 'ValueError: learning rate must be positive, got -0.1' >&2; exit 1"
)
YAML = f"""
- step:
    name: boom
    image: busybox
    command: {json.dumps(TRACEBACK)}
- step:
    name: disk
    image: busybox
    command: "echo writing; echo 'error: no space left on device' >&2; echo cleanup done; exit 2"
- step:
    name: fine
    image: busybox
    command: echo ok
- pipeline:
    name: p
    nodes:
      - {{name: fine, type: execution, step: fine, on-error: continue}}
      - {{name: boom, type: execution, step: boom, on-error: continue}}
      - {{name: disk, type: execution, step: disk, on-error: continue}}
    edges: []
"""


def _run(qtbot: Any, ui: Any, start: Any) -> Any:
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=90_000) as blocker:
        assert start()
    qtbot.waitUntil(lambda: not ui.controller.busy)
    return blocker.args[0]


def test_go_to_failure_tooltip_and_zoom(
    qtbot, make_run_window, project, docker_client, busybox_image
) -> None:
    ui = make_run_window(project(YAML), client=docker_client)
    window = ui.window
    finished = _run(qtbot, ui, lambda: ui.run_pipeline(dialog=False))
    assert finished.node_statuses == {"fine": "succeeded", "boom": "failed", "disk": "failed"}

    # The failing line, not only "exit code 1", in each failed badge's tooltip.
    # Each badge learns its failing line when that node's log tail arrives, in any order.
    def tips() -> str:
        return ui.badges.badges["boom"].toolTip() + ui.badges.badges["disk"].toolTip()

    qtbot.waitUntil(lambda: "ValueError" in tips() and "no space left" in tips(), timeout=30_000)
    assert "ValueError: learning rate must be positive, got -0.1" in ui.badges.badges["boom"].toolTip()
    assert "error: no space left on device" in ui.badges.badges["disk"].toolTip()
    assert "exit code 2" in ui.badges.badges["disk"].toolTip()
    # Go to Next Failure: in the toolbar with its shortcut, selects and centres, then wraps around.
    action = ui.failures.next_action
    assert action in ui.toolbar.actions() and action.shortcut().toString() == "F8"
    order = ui.failures.failed_nodes()
    assert sorted(order) == ["boom", "disk"]
    window.scene.select_node("fine")
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_F8)
    assert window.scene.selected_node_names() == [order[0]]
    centre = window.view.mapToScene(window.view.viewport().rect().center())
    assert window.scene.node_items[order[0]].sceneBoundingRect().adjusted(-2, -2, 2, 2).contains(centre)
    assert order[0] in window.statusBar().currentMessage()
    action.trigger()
    assert window.scene.selected_node_names() == [order[1]]
    action.trigger()
    assert window.scene.selected_node_names() == [order[0]]  # wrapped
    ui.failures.previous_action.trigger()
    assert window.scene.selected_node_names() == [order[1]]
    assert ui.logs.shown == (finished.run_id, order[1])  # its log is on screen
    # At 24 % zoom a failed badge is still MIN_FAILED_PX high on screen; a good one is not grown.
    window.view.set_zoom(0.24)
    failed, good = ui.badges.badges["boom"], ui.badges.badges["fine"]
    assert failed.sceneBoundingRect().height() * window.view.zoom >= MIN_FAILED_PX - 0.01
    assert good.scale() == 1.0
    window.view.set_zoom(1.0)
    assert failed.scale() == 1.0


def test_long_log_lines_wrap_and_the_wrap_can_be_turned_off(qtbot, make_run_window) -> None:
    ui = make_run_window()
    ui.logs.resize(500, 300)
    ui.logs.logs[("r", "n")] = []
    ui.logs.show_log("r", "n")

    class LogLine:
        run_id, node, stream, child = "r", "n", "stderr", None
        text = "RuntimeError: " + "the exception message a user needs to read in full " * 8

    ui.logs.add_lines([LogLine()])
    ui.logs.show()
    view = ui.logs.view
    assert ui.logs.wrap.isChecked() and view.lineWrapMode() == QPlainTextEdit.LineWrapMode.WidgetWidth
    qtbot.waitUntil(lambda: view.document().firstBlock().layout().lineCount() > 1)
    ui.logs.wrap.click()
    assert view.lineWrapMode() == QPlainTextEdit.LineWrapMode.NoWrap
    qtbot.waitUntil(lambda: view.document().firstBlock().layout().lineCount() == 1)


CHAIN = """
- step:
    name: make
    image: busybox
    command: echo made > /valohai/outputs/data.txt
- step:
    name: use
    image: busybox
    command: cat /valohai/inputs/data/data.txt && echo {parameter-value:word}
    inputs: [{name: data}]
    parameters: [{name: word, type: string, default: hello}]
- step:
    name: last
    image: busybox
    command: echo last {parameter-value:word}
    parameters: [{name: word, type: string, default: bye}]
- pipeline:
    name: p
    nodes:
      - {name: make, type: execution, step: make}
      - {name: use, type: execution, step: use}
      - {name: last, type: execution, step: last}
    edges:
      - [make.output.data.txt, use.input.data]
      - [use.output.*, last.input.unused]
"""


def test_after_run_this_node_the_others_show_earlier_results(
    qtbot, make_run_window, project, docker_client, busybox_image
) -> None:
    path = project(CHAIN.replace("      - [use.output.*, last.input.unused]\n", ""))
    ui = make_run_window(path, client=docker_client)
    window = ui.window
    first = _run(qtbot, ui, lambda: ui.run_pipeline(dialog=False))
    assert first.status == "succeeded"
    # The user changes the last node's parameter in the file, then runs only the middle node.
    text = window.document.text.replace("default: bye", "default: ciao")
    assert window.editor.apply_text(text) is None
    window.scene.select_node("use")
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    second = _run(qtbot, ui, ui.run_node)
    assert second.node_statuses == {"use": "reused"}  # unchanged: reused, and shown as this run's
    assert any(m.endswith("started (1 node)") for m in messages), messages
    earlier = ui.controller.states.earlier()
    assert set(earlier) == {"make", "last"}
    assert earlier["make"].from_run == first.run_id and earlier["make"].status == "succeeded"
    assert earlier["make"].out_of_date == ()
    assert earlier["last"].out_of_date == ("word: 'bye' → 'ciao'",)
    badges = ui.badges.badges
    assert badges["use"].text == "reused"
    assert badges["make"].text == "succeeded · earlier run"
    assert badges["last"].text == "succeeded · out of date"
    assert first.run_id in badges["last"].toolTip() and "word: 'bye' → 'ciao'" in badges["last"].toolTip()
    # Progress and "Re-run failed" are about the run on screen only.
    assert ui.controller.states.progress() == (1, 1)
