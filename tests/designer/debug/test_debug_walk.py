"""The debugging walk in the designer, on the real engine: run the pipeline, a node fails; its
failure view shows the traceback mapped to the local files and opens the failing line; a shell
opens in its rebuilt world; Debug This Node shows the debugger's address, writes the VS Code
attach configuration, and a real DAP client stops at a breakpoint in the node's code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.support.dap_client import DapClient, attach_and_break

pytestmark = [pytest.mark.docker, pytest.mark.gui]


def test_failure_view_shell_and_debugger(qtbot: Any, window_ui: Any, failing_project: Path) -> None:
    ui = window_ui
    dbg = ui.debug_ui
    assert ui.window.files.open_path(failing_project / "valohai.yaml", confirm=False)
    dbg.locals_action.setChecked(True)
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=120_000) as finished:
        assert ui.run_pipeline(dialog=False)
    assert finished.args[0].status == "failed"

    ui.window.scene.select_node("train")
    view = dbg.failure
    qtbot.waitUntil(lambda: view.failure is not None, timeout=5_000)
    assert view.title.text() == "ValueError"
    assert view.message.text() == "rows have 2 columns, the model wants 3:\n  header 'a,b'"
    frames = [(view.frames.topLevelItem(i).text(0), view.frames.topLevelItem(i).text(1)) for i in range(3)]
    assert frames == [("train.py:11", "<module>"), ("train.py:8", "main"), ("model.py:4", "fit")]
    current = view.frames.currentItem()
    assert current.text(0) == "model.py:4"  # the failing frame, mapped to the local file
    assert str((failing_project / "model.py").resolve()) in current.toolTip(0)
    assert "raise ValueError" in view.source.textCursor().block().text()
    shown = {
        view.locals.topLevelItem(i).text(0): view.locals.topLevelItem(i).text(1)
        for i in range(view.locals.topLevelItemCount())
    }
    assert shown["widths"] == "[2, 2]" and shown["width"] == "3" and shown["rows"] == "['a,b', '1,2']"
    opened: list[tuple[str, int]] = []
    dbg.open_file = lambda path, line: opened.append((path, line)) or "opened"
    view.frames.itemActivated.emit(current, 0)
    assert opened == [(str((failing_project / "model.py").resolve()), 4)]

    # Open Shell from the failure view: the node's world, rebuilt.
    qtbot.mouseClick(view.shell_button, Qt.MouseButton.LeftButton)
    tab = dbg.terminals.tabs()[-1]
    qtbot.waitUntil(lambda: tab.status == "open", timeout=30_000)
    qtbot.keyClicks(tab.terminal, "cat /valohai/inputs/rows/rows.csv")
    qtbot.keyClick(tab.terminal, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "\na,b\n1,2" in tab.terminal.text(), timeout=10_000)

    # Debug This Node: the prompt shows where the debugger waits; VS Code's configuration is written.
    with qtbot.waitSignal(ui.controller.events.debuggers_listening, timeout=60_000):
        assert dbg.debug_node("train")
    prompt = dbg.prompt
    assert prompt.node == "train" and prompt.address.text() == f"127.0.0.1:{prompt.port}"
    assert "train.py" in prompt.headline.text()
    qtbot.mouseClick(prompt.vscode, Qt.MouseButton.LeftButton)
    launch = json.loads((failing_project / ".vscode" / "launch.json").read_text())
    (config,) = launch["configurations"]
    assert config["connect"] == {"host": "127.0.0.1", "port": prompt.port}
    assert config["pathMappings"] == [
        {"localRoot": "${workspaceFolder}", "remoteRoot": "/valohai/repository"}
    ]
    client = DapClient("127.0.0.1", prompt.port)
    try:
        thread_id, local_vars = attach_and_break(client, str(failing_project), "model.py", 3)
        assert local_vars["widths"] == "[2, 2]" and local_vars["width"] == "3"
        with qtbot.waitSignal(ui.controller.events.run_finished, timeout=60_000) as again:
            client.request("continue", threadId=thread_id)
    finally:
        client.close()
    assert again.args[0].status == "failed"  # the bug is still there: the debugger changed nothing
    assert prompt.node == ""  # back to idle once the run ended


def test_pause_before_a_node_shell_on_its_staged_inputs_then_continue(
    qtbot: Any, window_ui: Any, failing_project: Path
) -> None:
    ui = window_ui
    dbg = ui.debug_ui
    assert ui.window.files.open_path(failing_project / "valohai.yaml", confirm=False)
    ui.window.scene.select_node("train")
    assert dbg.pause_action in ui.menu.actions() and dbg.pause_action.isEnabled()
    dbg.pause_action.trigger()
    assert ui.pause_before == {"train"} and dbg.pause_action.isChecked()
    finished: list[Any] = []
    ui.controller.events.run_finished.connect(finished.append)
    assert ui.run_pipeline(dialog=False)
    prompt = dbg.prompt
    qtbot.waitUntil(lambda: prompt.node == "train" and prompt.go_on.isEnabled(), timeout=60_000)
    assert "paused before it starts" in prompt.headline.text() and not prompt.vscode.isVisible()
    assert ui.controller.states.state("train").status == "awaiting-approval"
    qtbot.mouseClick(prompt.shell, Qt.MouseButton.LeftButton)
    tab = dbg.terminals.tabs()[-1]
    qtbot.waitUntil(lambda: tab.status == "open", timeout=30_000)
    qtbot.keyClicks(tab.terminal, "cat /valohai/inputs/rows/rows.csv /valohai/config/parameters.json")
    qtbot.keyClick(tab.terminal, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: "1,2" in tab.terminal.text() and '"epochs": 3' in tab.terminal.text(), timeout=10_000
    )
    assert not finished
    qtbot.mouseClick(prompt.go_on, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(finished), timeout=60_000)
    assert finished[0].status == "failed"  # it ran (and failed in model.py, as it does)
    assert ui.history.execution(finished[0].run_id, "train")["exit_code"] == 1
    assert prompt.node == ""
