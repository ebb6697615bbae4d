"""The welcome screen: open a file or an example, recent files, and a Docker engine check.

The engine check (``runner.api.check_engine``: the engine's version, then a throwaway container
on the network runs use) is the runner's, shared with the command line. The dialog runs it on a
daemon thread and gets the report back through a queued signal: a slow or hung engine never
freezes the window.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from designer.background import in_background, wait_for_background
from runner.api import EngineReport, EngineState, check_configured_engine, check_engine, fix_command

if TYPE_CHECKING:
    from designer.main_window import MainWindow

SHOW_ON_START_KEY = "welcome/showOnStart"
CHECK_WAIT_S = 25.0  # the engine check: a ping (3 s at most) and a test container


# --- examples ---------------------------------------------------------------------------------
def examples_dir() -> Path:
    """The bundled examples: in the frozen app (PyInstaller), the source tree, or an installed wheel.

    A wheel carries them as data files under ``<prefix>/share/pipeline-designer/examples``.
    """
    here = Path(__file__).resolve().parent
    candidates = [
        Path(getattr(sys, "_MEIPASS", "")) / "examples" if getattr(sys, "_MEIPASS", None) else None,
        here.parent / "examples",
        Path(sys.prefix) / "share" / "pipeline-designer" / "examples",
    ]
    found = [c for c in candidates if c is not None and (c / "valohai.yaml").is_file()]
    return found[0] if found else here.parent / "examples"


def example_files(root: Path | None = None) -> list[tuple[str, Path]]:
    """(title, path) of every example ``valohai.yaml``; the title is its first comment line."""
    root = root or examples_dir()
    found = []
    paths = sorted(root.rglob("valohai.yaml"), key=lambda p: (len(p.parts), p)) if root.is_dir() else []
    for path in paths:  # the top-level example first
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        title = first.lstrip("# ").removeprefix("Example: ").strip().rstrip(".") or path.parent.name
        found.append((title, path))
    return found


# --- the dialog ------------------------------------------------------------------------------
def wait_for_checks(timeout: float = CHECK_WAIT_S) -> None:
    """Let running engine checks end before Python finalizes (a daemon thread inside Qt at exit can abort)."""
    wait_for_background(timeout)


class WelcomeDialog(QDialog):
    # the engine check's report arrived and is shown
    engine_checked = Signal(object)

    def __init__(
        self, window: MainWindow, check: Callable[[], EngineReport] = check_configured_engine
    ) -> None:
        super().__init__(window)
        self.setWindowTitle("Welcome to Pipeline Designer")
        self.window_ = window
        self._check = check
        self.report: EngineReport | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h2>Pipeline Designer</h2>Design, lint and run valohai.yaml pipelines."))
        layout.addLayout(self._file_buttons())
        layout.addWidget(QLabel("<b>Recent files</b>"))
        self.recent = QListWidget(self)
        self.recent.setMaximumHeight(160)
        self.recent.itemActivated.connect(lambda item: self._open(Path(item.data(Qt.ItemDataRole.UserRole))))
        layout.addWidget(self.recent)
        layout.addWidget(QLabel("<b>Docker engine</b>"))
        layout.addWidget(self._engine_box())
        self.show_on_start = QCheckBox("Show this window at start-up", self)
        self.show_on_start.setChecked(show_on_start(window))
        self.show_on_start.toggled.connect(lambda on: window.settings.setValue(SHOW_ON_START_KEY, on))
        layout.addWidget(self.show_on_start)
        self.resize(620, 520)
        self.fill_recent()

    def _file_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.open_button = QPushButton("Open a file…", self)
        self.open_button.clicked.connect(self._open_dialog)
        row.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignTop)
        self.example_buttons: list[QPushButton] = []
        for title, path in example_files():
            button = QPushButton(f"Example: {title}", self)
            button.setStyleSheet("text-align: left; padding: 3px 8px")
            button.setToolTip(str(path))
            button.clicked.connect(lambda _=False, p=path: self._open(p))
            self.example_buttons.append(button)
        examples = QVBoxLayout()
        for button in self.example_buttons:
            examples.addWidget(button)
        row.addLayout(examples, 1)
        return row

    def _engine_box(self) -> QWidget:
        box = QWidget(self)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        self.engine_label = QLabel("Checking the Docker engine…", box)
        self.engine_label.setWordWrap(True)
        column.addWidget(self.engine_label)
        row = QHBoxLayout()
        self.fix_field = QLineEdit(box)
        self.fix_field.setReadOnly(True)
        self.fix_field.setVisible(False)
        row.addWidget(self.fix_field, 1)
        self.copy_button = QPushButton("Copy", box)
        self.copy_button.setVisible(False)
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.fix_field.text()))
        row.addWidget(self.copy_button)
        self.recheck_button = QPushButton("Check again", box)
        self.recheck_button.clicked.connect(self.start_check)
        row.addWidget(self.recheck_button)
        column.addLayout(row)
        return box

    def fill_recent(self) -> None:
        self.recent.clear()
        for name in self.window_.files.recent_files():
            item = QListWidgetItem(name, self.recent)
            item.setData(Qt.ItemDataRole.UserRole, name)
            if not Path(name).exists():
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                item.setToolTip("This file no longer exists.")
        if not self.recent.count():
            QListWidgetItem("(none yet)", self.recent).setFlags(Qt.ItemFlag.NoItemFlags)

    def start_check(self) -> None:
        """Run the engine check off the GUI thread; the report comes back to ``_show_report``."""
        self.recheck_button.setEnabled(False)
        self.engine_label.setText("Checking the Docker engine…")
        in_background(self._check, self._show_report, "engine-check")

    def _show_report(self, report: EngineReport | Exception) -> None:
        if isinstance(report, Exception):  # the check itself broke: say so rather than hang on "Checking"
            report = EngineReport(EngineState.NOT_RUNNING, f"The engine check failed: {report}")
        self.report = report
        mark = {EngineState.FOUND: "✔"}.get(report.state, "✖")
        self.engine_label.setText(f"{mark} <b>{report.state.value}</b>: {report.detail}")
        self.fix_field.setText(report.fix)
        self.fix_field.setVisible(bool(report.fix))
        self.copy_button.setVisible(bool(report.fix))
        self.recheck_button.setEnabled(True)
        self.engine_checked.emit(report)

    def _open_dialog(self) -> None:
        self.window_.files.open_dialog()
        if self.window_.document.path:
            self.accept()

    def _open(self, path: Path) -> None:
        if self.window_.files.open_path(path):
            self.accept()


def show_on_start(window: MainWindow) -> bool:
    value = window.settings.value(SHOW_ON_START_KEY, True)
    return value not in (False, "false", "0", 0)


def show_welcome(
    window: MainWindow, check: Callable[[], EngineReport] = check_configured_engine
) -> WelcomeDialog:
    """Show the (non-modal) welcome dialog over ``window`` and start its engine check."""
    dialog = WelcomeDialog(window, check)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.start_check()
    return dialog


__all__ = [
    "EngineReport",
    "EngineState",
    "WelcomeDialog",
    "check_engine",
    "example_files",
    "examples_dir",
    "fix_command",
    "show_on_start",
    "show_welcome",
    "wait_for_checks",
]
