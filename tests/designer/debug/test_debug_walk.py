"""The debugging walk in the designer, on the real engine: run the pipeline, a node fails; its
failure view shows the traceback mapped to the local files and opens the failing line; a shell
opens in its rebuilt world; Debug This Node shows the debugger's address, writes the VS Code
attach configuration, and a real DAP client stops at a breakpoint in the node's code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from tests.support.dap_client import DapClient, attach_and_break

pytestmark = [pytest.mark.docker, pytest.mark.gui]


@pytest.fixture
def window_ui(
    qtbot: Any, tmp_path: Path, home: Path, python_image: str, container_label: dict[str, str]
) -> Any:
    from designer.app import create_app
    from designer.main_window import MainWindow
    from designer.run.integration import attach_run_ui

    create_app()
    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window.files.ask = lambda *a, **k: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
    window.files.autosave_timer.stop()
    qtbot.addWidget(window)
    ui = attach_run_ui(window, home=home)
    warnings: list[str] = []
    ui.warn = lambda title, text: warnings.append(f"{title}: {text}")
    ui.image_map = {"python:3.12-slim": python_image}
    ui.labels = container_label
    ui.start_kwargs = {"pull": "never"}  # the engine's default network: the debugger port is published
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    yield ui
    ui.debug_ui.shutdown()
    ui.shutdown()
    window.close()


def test_failure_view_shell_and_debugger(qtbot: Any, window_ui: Any, failing_project: Path) -> None:
    ui = window_ui
    dbg = ui.debug_ui
    assert ui.window.files.open_path(failing_project / "valohai.yaml", confirm=False)
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
