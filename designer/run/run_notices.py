"""How the run UI tells the user about runs outside its docks: the status bar's progress bar,
status messages, and a tray message when a run ends while the window is inactive."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QProgressBar, QSystemTrayIcon


class RunNotices(QObject):
    def __init__(self, window: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.sent: list[str] = []  # every notification, in order (tests read them)
        self.progress = QProgressBar(window)
        self.progress.setFixedWidth(150)
        self.progress.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.progress.setFormat("%v / %m nodes")
        self.progress.hide()
        window.statusBar().addPermanentWidget(self.progress)
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(window.windowIcon(), self)

    def notify(self, title: str, text: str) -> None:
        self.sent.append(text)
        self.window.statusBar().showMessage(text, 10_000)
        if self.tray is not None and not self.window.isActiveWindow():
            self.tray.show()
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)

    def stop(self) -> None:
        if self.tray is not None:
            self.tray.hide()


__all__ = ["RunNotices"]
