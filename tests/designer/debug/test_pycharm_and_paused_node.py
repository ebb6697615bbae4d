"""The designer on the real engine: Attach with PyCharm on a node waiting under debugpy runs it
again for PyCharm (its run configuration written into .idea) and "PyCharm" (a pydevd protocol
server) stops it at a breakpoint; a node paused before it starts gets a parameter changed in
the Debugger dock, typed per the step, and runs with it."""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit

from runner.store.db import RunStore
from tests.support.debug_project import LOOP_LINE, SCRIPT, TRAIN
from tests.support.pydevd_server import PydevdServer, debug_in_pycharm, free_port

pytestmark = [pytest.mark.docker, pytest.mark.gui]

PIPELINE = """\
- step:
    name: train
    image: python:3.12-slim
    command: python3 train.py {parameters}
    parameters:
      - {name: rounds, type: integer, default: 3, min: 1, max: 10}
      - {name: mode, type: string, default: fast, choices: [fast, careful]}
      - {name: verbose, type: flag, default: false}
      - {name: rate, type: float, default: 0.5}
- pipeline:
    name: p
    nodes:
      - {name: train, step: train, type: execution}
    edges: []
"""


@pytest.fixture
def trainer(tmp_path: Path) -> Path:
    project = tmp_path / "trainer"
    project.mkdir()
    (project / "train.py").write_text(TRAIN)
    (project / "valohai.yaml").write_text(textwrap.dedent(PIPELINE))
    return project


def test_attach_with_pycharm_from_a_node_waiting_under_debugpy(
    qtbot: Any, window_ui: Any, trainer: Path, pydevd_pycharm: str
) -> None:
    ui, dbg = window_ui, window_ui.debug_ui
    launched: list[list[str]] = []
    dbg.ide.launch = lambda argv: launched.append(argv) or False  # no PyCharm opened here
    port = free_port()  # the user's PyCharm has this node's debug server on a port of its own
    (trainer / ".idea").mkdir()
    from runner.api import debug

    debug.write_pycharm_config(trainer, "train", port)
    assert ui.window.files.open_path(trainer / "valohai.yaml", confirm=False)
    with qtbot.waitSignal(ui.controller.events.debuggers_listening, timeout=60_000):
        assert dbg.debug_node("train")
    prompt = dbg.prompt
    assert prompt.pycharm.isVisible() and prompt.pycharm.isEnabled()
    with qtbot.waitSignal(ui.controller.events.debuggers_listening, timeout=90_000) as waiting:
        qtbot.mouseClick(prompt.pycharm, Qt.MouseButton.LeftButton)  # the debugpy run stops first
    event = waiting.args[0][-1]
    assert (event.debugger, event.host, event.port) == ("pycharm", "127.0.0.1", port)
    assert prompt.headline.text() == "train is waiting for PyCharm (train.py)"
    assert prompt.address.text() == f"127.0.0.1:{port}"
    assert "“Attach to pipeline node train”" in prompt.detail.text()
    assert not prompt.vscode.isVisible() and prompt.cancel.isEnabled()
    config = ET.parse(trainer / ".idea/runConfigurations/Attach_to_pipeline_node_train.xml").getroot()
    assert config.find("configuration/option[@name='PORT']").get("value") == str(port)  # type: ignore[union-attr]
    run_finished = ui.controller.events.run_finished
    with qtbot.waitSignal(run_finished, timeout=90_000) as finished, PydevdServer(port=port) as ide:
        debug_in_pycharm(ide, pydevd_pycharm, SCRIPT, LOOP_LINE)
    assert finished.args[0].status == "succeeded"
    assert prompt.node == ""  # idle again


def _field(prompt: Any, name: str) -> Any:
    return prompt.parameters.fields[name]


def test_change_a_paused_nodes_parameters_then_continue(
    qtbot: Any, window_ui: Any, trainer: Path, home: Path
) -> None:
    ui, dbg = window_ui, window_ui.debug_ui
    assert ui.window.files.open_path(trainer / "valohai.yaml", confirm=False)
    ui.window.scene.select_node("train")
    dbg.pause_action.trigger()
    assert ui.pause_before == {"train"}
    assert ui.run_pipeline(dialog=False)
    prompt = dbg.prompt
    qtbot.waitUntil(lambda: prompt.headline.text() == "train is paused before it starts", timeout=60_000)
    assert prompt.go_on.isEnabled() and prompt.parameters.isVisible()
    rounds, mode, verbose, rate = (_field(prompt, n) for n in ("rounds", "mode", "verbose", "rate"))
    assert isinstance(rounds, QLineEdit) and rounds.text() == "3"  # what it would run with
    assert isinstance(mode, QComboBox) and [mode.itemText(i) for i in range(2)] == ["fast", "careful"]
    assert isinstance(verbose, QCheckBox) and not verbose.isChecked()
    assert isinstance(rate, QLineEdit) and rate.text() == "0.5"
    # A value the step refuses: the node stays paused and the prompt says why.
    rounds.clear()
    qtbot.keyClicks(rounds, "12")
    qtbot.mouseClick(prompt.go_on, Qt.MouseButton.LeftButton)
    assert prompt.status.text() == "rounds: 12 is above the maximum 10. Fix it, then Continue."
    assert prompt.headline.text() == "train is paused before it starts" and ui.controller.busy
    rounds.clear()
    qtbot.keyClicks(rounds, "7")
    mode.setCurrentText("careful")
    qtbot.mouseClick(verbose, Qt.MouseButton.LeftButton)
    # Approve in the approval banner is Continue too: the edits go with it.
    approve, _reject = ui.live.banner.buttons("train")
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=90_000) as finished:
        qtbot.mouseClick(approve, Qt.MouseButton.LeftButton)
    assert finished.args[0].status == "succeeded"
    store = RunStore(home / "runs.sqlite3")
    execution = store.execution(finished.args[0].run_id, "train")
    store.close()
    assert execution is not None
    assert execution["parameters"] == {"rounds": 7, "mode": "careful", "verbose": True, "rate": 0.5}
    log = Path(execution["log_path"]).read_text()
    assert "parameters set before it starts: rounds=7 mode='careful' verbose=True" in log
