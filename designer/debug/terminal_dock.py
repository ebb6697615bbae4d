"""The Terminal dock: one tab per shell (a node's container, or a rebuilt debug container)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from designer.bridge.shell_bridge import ShellConnection
from designer.terminal.terminal_widget import TerminalWidget


class ShellTab(QWidget):
    """A terminal widget wired to one shell connection."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.terminal = TerminalWidget(self)
        self.connection = ShellConnection(self)
        self.status = "opening"  # opening, open, ended, failed
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.terminal)
        c, t = self.connection, self.terminal
        t.typed.connect(c.write)
        t.resized.connect(c.resize)
        c.output.connect(t.feed)
        c.opened.connect(self._on_opened)
        c.ended.connect(self._on_ended)
        c.failed.connect(self._on_failed)
        t.feed(f"\x1b[2mopening a shell in {title}...\x1b[0m\r\n".encode())

    def start(self, open_session: Callable[[], Any]) -> None:
        self.connection.resize(self.terminal.screen.lines, self.terminal.screen.columns)
        self.connection.start(open_session)

    def _on_opened(self, banner: str) -> None:
        self.status = "open"
        text = banner.rstrip("\n").replace("\n", "\r\n")
        self.terminal.feed(f"\x1b[36m{text}\x1b[0m\r\n".encode())
        self.terminal.setFocus()

    def _on_ended(self, code: object) -> None:
        self.status = "ended"
        self.terminal.feed(
            f"\r\n\x1b[2m[shell ended{'' if code is None else f', exit status {code}'}]\x1b[0m\r\n".encode()
        )

    def _on_failed(self, message: str) -> None:
        self.status = "failed"
        self.terminal.feed(
            f"\x1b[31mcannot open the shell: {message}\x1b[0m\r\n".replace("\n", "\r\n").encode()
        )

    def close_session(self) -> None:
        self.connection.close()


class TerminalPanel(QTabWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabsClosable(True)
        self.setDocumentMode(True)
        self.setMovable(True)
        self.tabCloseRequested.connect(self.close_tab)

    def open(self, title: str, open_session: Callable[[], Any]) -> ShellTab:
        tab = ShellTab(title, self)
        self.addTab(tab, title)
        self.setCurrentWidget(tab)
        tab.start(open_session)
        return tab

    def tabs(self) -> list[ShellTab]:
        return [w for i in range(self.count()) if isinstance(w := self.widget(i), ShellTab)]

    def close_tab(self, index: int) -> None:
        tab = self.widget(index)
        if isinstance(tab, ShellTab):
            tab.close_session()
        self.removeTab(index)
        if tab is not None:
            tab.deleteLater()

    def close_all(self) -> None:
        for tab in self.tabs():
            tab.close_session()
