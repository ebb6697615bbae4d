"""The debug-attach prompt: a node run with Debug This Node waits for a debugger at an address."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class DebuggerPrompt(QWidget):
    # Write the VS Code attach configuration (and open VS Code): (node, port)
    attach_vscode = Signal(str, int)
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
        self.copy = QPushButton("Copy Address", self)
        self.copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(f"127.0.0.1:{self.port}"))
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
        buttons = QHBoxLayout()
        for button in (self.vscode, self.copy, self.go_on, self.shell, self.cancel):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        for w in (self.headline, self.address, self.detail):
            layout.addWidget(w)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.show_idle()

    def show_idle(self) -> None:
        self.node, self.port = "", 0
        self.headline.setText("No node is waiting for a debugger")
        self.address.setText("")
        self.detail.setText(
            "Select a node and use Run ▸ Debug This Node: its Python starts under debugpy and waits "
            "here for a debugger (VS Code, or any Debug Adapter Protocol client) before your code runs."
        )
        self.status.setText("")
        self._buttons()

    def _buttons(self, *shown: QPushButton) -> None:
        for button in (self.vscode, self.copy, self.go_on, self.shell, self.cancel):
            button.setVisible(not shown or button in shown)
            button.setEnabled(button in shown)

    def show_paused(self, node: str) -> None:
        """A node stopped at its run-time breakpoint (Pause Before This Node)."""
        self.node, self.port = node, 0
        self.headline.setText(f"{node} is paused before it starts")
        self.address.setText("")
        self.detail.setText(
            "Its inputs are staged and its parameters resolved: open a shell on them to look around, "
            "then Continue to run it, or Cancel Run."
        )
        self.status.setText("")
        self._buttons(self.go_on, self.shell, self.cancel)

    def show_waiting(self, node: str, port: int, script: str = "") -> None:
        self.node, self.port = node, port
        self.headline.setText(f"{node} is waiting for a debugger" + (f" ({script})" if script else ""))
        self.address.setText(f"127.0.0.1:{port}")
        self.detail.setText(
            "Attach a debugger to this address (Debug Adapter Protocol, debugpy). Set breakpoints in "
            "your local files: /valohai/repository in the container is this project's folder. The node "
            "has no time limit while it waits or is paused; Cancel Run ends the session."
        )
        self.status.setText("")
        self._buttons(self.vscode, self.copy, self.cancel)
