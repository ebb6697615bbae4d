"""The debug-attach prompt: a node run with Debug This Node waits for a debugger at an address
(debugpy), or for PyCharm's debug server; a node paused before it starts, with its parameters
editable."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from designer.debug.paused_parameters import PausedParameters
from designer.panels.flow_layout import FlowLayout


class DebuggerPrompt(QWidget):
    # Write the VS Code attach configuration (and open VS Code): (node, port)
    attach_vscode = Signal(str, int)
    # Debug the node with PyCharm instead (its run configuration, the node run for it): (node)
    attach_pycharm = Signal(str)
    # Stop the run (ends the debug session)
    cancel_requested = Signal()
    # Let a node paused at its breakpoint start: (node)
    continue_requested = Signal(str)
    # Open a shell on a paused node's staged world: (node)
    shell_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.node = ""
        self.port = 0
        self.headline = QLabel(self)
        font = self.headline.font()
        font.setBold(True)
        self.headline.setFont(font)
        self.headline.setTextFormat(Qt.TextFormat.PlainText)
        self.address = QLabel(self)
        self.address.setTextFormat(Qt.TextFormat.PlainText)
        self.address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        mono = self.address.font()
        mono.setFamily("monospace")
        mono.setPointSizeF(mono.pointSizeF() * 1.3)
        self.address.setFont(mono)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.vscode = QPushButton("Attach with VS Code", self)
        self.vscode.setToolTip(
            "Adds an attach configuration (path mapping /valohai/repository → this folder) to "
            ".vscode/launch.json and opens VS Code when it is installed"
        )
        self.vscode.clicked.connect(lambda: self.attach_vscode.emit(self.node, self.port))
        self.pycharm = QPushButton("Attach with PyCharm", self)
        self.pycharm.setToolTip(
            "Adds a Python Debug Server run configuration (path mapping /valohai/repository → this "
            "folder) to .idea/runConfigurations and runs the node with PyCharm's debugger instead: "
            "it connects to PyCharm once you start that configuration"
        )
        self.pycharm.clicked.connect(lambda: self.attach_pycharm.emit(self.node))
        self.copy = QPushButton("Copy Address", self)
        self.copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.address.text()))
        self.go_on = QPushButton("Continue", self)
        self.go_on.clicked.connect(lambda: self.continue_requested.emit(self.node))
        self.shell = QPushButton("Open Shell", self)
        self.shell.setToolTip("A shell in a container with the node's staged inputs and parameters")
        self.shell.clicked.connect(lambda: self.shell_requested.emit(self.node))
        self.cancel = QPushButton("Cancel Run", self)
        self.cancel.clicked.connect(self.cancel_requested.emit)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.parameters = PausedParameters(self)  # a paused node's, changed before Continue
        self._all = (self.vscode, self.pycharm, self.copy, self.go_on, self.shell, self.cancel)
        buttons = FlowLayout(spacing=6)  # wraps in a narrow dock instead of widening the window
        for button in self._all:
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        for w in (self.headline, self.address, self.detail, self.parameters):
            layout.addWidget(w)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.show_idle()

    def show_idle(self) -> None:
        self.node, self.port = "", 0
        self.headline.setText("No node is waiting for a debugger")
        self._address("")
        self.detail.setText(
            "Select a node and use Run ▸ Debug This Node: its Python starts under debugpy and waits "
            "here for a debugger (VS Code, or any Debug Adapter Protocol client) before your code runs. "
            "Run ▸ Debug This Node in PyCharm runs it for PyCharm's debugger."
        )
        self.status.setText("")
        self.parameters.show_node({}, {})
        self._buttons()

    def _address(self, text: str) -> None:
        self.address.setText(text)
        self.address.setVisible(bool(text))  # no empty line where there is no address

    def _buttons(self, *shown: QPushButton) -> None:
        for button in self._all:
            button.setVisible(not shown or button in shown)
            button.setEnabled(button in shown)

    def show_paused(
        self, node: str, definitions: dict[str, Any] | None = None, values: dict[str, Any] | None = None
    ) -> None:
        """A node stopped at its run-time breakpoint (Pause Before This Node), with its step's
        parameter ``definitions`` and the ``values`` it would run with."""
        self.node, self.port = node, 0
        self.headline.setText(f"{node} is paused before it starts")
        self._address("")
        change = " Change a parameter below for this run (the YAML is not changed)," if definitions else ""
        self.detail.setText(
            "Its inputs are staged and its parameters resolved: open a shell on them to look around."
            f"{change} then Continue to run it, or Cancel Run."
        )
        self.parameters.show_node(definitions or {}, values or {})
        self.status.setText("")
        self._buttons(self.go_on, self.shell, self.cancel)

    def show_waiting(self, node: str, port: int, script: str = "") -> None:
        self.node, self.port = node, port
        self.headline.setText(f"{node} is waiting for a debugger" + (f" ({script})" if script else ""))
        self._address(f"127.0.0.1:{port}")
        self.detail.setText(
            "Attach a debugger to this address (Debug Adapter Protocol, debugpy). Set breakpoints in "
            "your local files: /valohai/repository in the container is this project's folder. The node "
            "has no time limit while it waits or is paused; Cancel Run ends the session."
        )
        self.status.setText("")
        self.parameters.show_node({}, {})
        self._buttons(self.vscode, self.pycharm, self.copy, self.cancel)

    def show_waiting_pycharm(self, node: str, address: str, script: str = "", config: str = "") -> None:
        """The node's pydevd-pycharm waits; it connects to PyCharm's debug server at ``address``
        once the user starts it (``config``: the run configuration's name)."""
        self.node, self.port = node, 0
        self.headline.setText(f"{node} is waiting for PyCharm" + (f" ({script})" if script else ""))
        self._address(address)
        name = f"“{config}”" if config else "a Python Debug Server run configuration on that port"
        self.detail.setText(
            f"In PyCharm, start {name} with Run ▸ Debug. The node connects to it and stops at your "
            "breakpoints (/valohai/repository in the container is this project's folder). It has no "
            "time limit while it waits or is paused; Cancel Run ends the session."
        )
        self.parameters.show_node({}, {})  # the status keeps where the configuration was written
        self._buttons(self.copy, self.cancel)
