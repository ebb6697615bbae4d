"""The Terminal dock driven with pytest-qt: a shell in a failed node's rebuilt container,
typed into and read off the screen (colours, cursor keys, resize, Ctrl+C, copy/paste)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from designer.debug.terminal_dock import TerminalPanel
from designer.terminal.terminal_widget import TerminalWidget
from runner.api import debug
from tests.support.debug_containers import debug_containers

pytestmark = [pytest.mark.docker, pytest.mark.gui]


def _type(qtbot: Any, widget: TerminalWidget, text: str) -> None:
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_shell_in_a_failed_nodes_container(
    qtbot: Any, failed_run: Any, docker_client: Any, container_label: dict[str, str]
) -> None:
    panel = TerminalPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 420)
    panel.show()
    target = f"{failed_run.run_id}/train"
    tab = panel.open(
        "train",
        lambda: debug.open_terminal(target, home=failed_run.home, network="none", labels=container_label),
    )
    term = tab.terminal
    qtbot.waitUntil(lambda: tab.status == "open", timeout=20_000)
    assert "debug container" in term.text()
    qtbot.waitUntil(lambda: term.text().rstrip().endswith(("#", "$")), timeout=10_000)

    _type(qtbot, term, "cat /valohai/config/parameters.json; ls /valohai/inputs/rows")
    qtbot.waitUntil(lambda: '"epochs": 3' in term.text() and "rows.csv" in term.text(), timeout=10_000)
    # The size follows the widget.
    _type(qtbot, term, "stty size")
    qtbot.waitUntil(lambda: f"{term.screen.lines} {term.screen.columns}" in term.text(), timeout=10_000)
    before = (term.screen.lines, term.screen.columns)
    panel.resize(600, 300)
    qtbot.waitUntil(lambda: term.screen.columns < before[1] and term.screen.lines < before[0], timeout=5_000)
    _type(qtbot, term, "clear; stty size")
    qtbot.waitUntil(lambda: f"{term.screen.lines} {term.screen.columns}" in term.text(), timeout=10_000)
    # Colours.
    _type(qtbot, term, r"printf '\033[31mRED\033[0m\n'")
    qtbot.waitUntil(lambda: "\nRED" in term.text(), timeout=10_000)
    row = next(y for y, line in enumerate(term.screen.display) if line.startswith("RED"))
    assert term.screen.buffer[row][0].fg == "red"
    # Ctrl+C reaches the process: the sleep stops, the shell goes on.
    _type(qtbot, term, "sleep 100; echo not-interrupted")
    qtbot.waitUntil(lambda: "sleep 100" in term.text(), timeout=10_000)
    qtbot.wait(500)  # the shell has read the line and started sleep (a ^C before would flush it)
    qtbot.keyClick(term, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "^C" in term.text(), timeout=10_000)
    _type(qtbot, term, "echo after-$((40+2))")
    qtbot.waitUntil(lambda: "after-42" in term.text(), timeout=10_000)
    assert "\nnot-interrupted" not in term.text()  # the whole line was interrupted
    # Cursor keys: Up brings back the last command.
    qtbot.keyClick(term, Qt.Key.Key_Up)
    qtbot.keyClick(term, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: term.text().count("after-42") >= 2, timeout=10_000)
    # Paste goes in as typed text; a selection is copied.
    QGuiApplication.clipboard().setText("echo pasted-$((1+1))")
    qtbot.keyClick(
        term, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    qtbot.keyClick(term, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "pasted-2" in term.text(), timeout=10_000)
    row = next(y for y, line in enumerate(term.screen.display) if line.startswith("pasted-2"))
    width, height = term._cell()
    qtbot.mousePress(term, Qt.MouseButton.LeftButton, pos=term.rect().topLeft() + _at(0, row, width, height))
    qtbot.mouseMove(term, term.rect().topLeft() + _at(7, row, width, height))
    qtbot.mouseRelease(
        term, Qt.MouseButton.LeftButton, pos=term.rect().topLeft() + _at(7, row, width, height)
    )
    qtbot.keyClick(
        term, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert QGuiApplication.clipboard().text() == "pasted-2"

    _type(qtbot, term, "exit 7")
    qtbot.waitUntil(lambda: tab.status == "ended", timeout=10_000)
    assert "exit status 7" in term.text()
    assert debug_containers(docker_client, failed_run.run_id) == []


def _at(col: int, row: int, width: int, height: int) -> Any:
    from PySide6.QtCore import QPoint

    return QPoint(2 + col * width + width // 2, 2 + row * height + height // 2)


def test_a_shell_that_cannot_open_says_why(qtbot: Any, tmp_path: Any) -> None:
    panel = TerminalPanel()
    qtbot.addWidget(panel)

    def refuse() -> Any:
        raise debug.ShellError("no run 'gone' (see `pipeline-designer history`)")

    tab = panel.open("gone/train", refuse)
    qtbot.waitUntil(lambda: tab.status == "failed", timeout=5_000)
    assert "cannot open the shell: no run 'gone'" in tab.terminal.text()
    panel.close_tab(0)
    assert panel.count() == 0
