"""The welcome screen: open a file or an example, recent files, and a Docker engine check.

The engine check is plain Python (``check_engine``) with injectable probes, so its
classification is unit-tested without an engine. The dialog runs it on a daemon thread and
gets the report back through a queued signal: a slow or hung engine never freezes the window.
"""

from __future__ import annotations

import enum
import shutil
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
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

if TYPE_CHECKING:
    from designer.main_window import MainWindow

SHOW_ON_START_KEY = "welcome/showOnStart"
PING_TIMEOUT_S = 3.0


# --- engine check (no Qt) -------------------------------------------------------------------
class EngineState(enum.StrEnum):
    FOUND = "found"
    NOT_RUNNING = "not running"
    NO_PERMISSION = "no permission"
    NOT_INSTALLED = "not installed"


@dataclass(frozen=True)
class EngineReport:
    state: EngineState
    detail: str  # one sentence for the user
    fix: str = ""  # a command (or the one action) that fixes it on this platform; "" when found


def ping_engine(timeout: float = PING_TIMEOUT_S) -> str:
    """The engine's version, from the environment's engine (DOCKER_HOST or the default socket)."""
    import docker  # a second or so to import: only ever called off the GUI thread

    client = docker.from_env(timeout=timeout)
    try:
        return str(client.version().get("Version", "?"))
    finally:
        client.close()


def _read_os_release() -> dict[str, str]:
    try:
        text = Path("/etc/os-release").read_text(encoding="utf-8")
    except OSError:
        return {}
    pairs = (line.partition("=") for line in text.splitlines() if "=" in line)
    return {k.strip(): v.strip().strip('"') for k, _, v in pairs}


def _permission_denied(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(8):  # walk the cause chain: the SDK wraps the socket's PermissionError
        if seen is None:
            break
        if isinstance(seen, PermissionError) or "permission denied" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def fix_command(state: EngineState, platform: str, os_release: dict[str, str]) -> str:
    """What the user runs (or does) to get from ``state`` to a working engine."""
    if state is EngineState.FOUND:
        return ""
    if platform == "darwin":
        return {
            EngineState.NOT_INSTALLED: "brew install --cask docker   # then start Docker from Applications",
            EngineState.NOT_RUNNING: "open -a Docker",
            EngineState.NO_PERMISSION: "open -a Docker   # restart Docker Desktop",
        }[state]
    if platform.startswith("win"):
        return {
            EngineState.NOT_INSTALLED: "winget install Docker.DockerDesktop",
            EngineState.NOT_RUNNING: 'Start "Docker Desktop" from the Start menu',
            EngineState.NO_PERMISSION: "Add your user to the docker-users group, then sign out and in",
        }[state]
    if state is EngineState.NOT_RUNNING:
        return "sudo systemctl start docker"
    if state is EngineState.NO_PERMISSION:
        return 'sudo usermod -aG docker "$USER"   # then log out and back in'
    family = {os_release.get("ID", ""), *os_release.get("ID_LIKE", "").split()}
    if family & {"debian", "ubuntu"}:
        return "sudo apt-get install -y docker.io && sudo systemctl enable --now docker"
    if family & {"fedora", "rhel", "centos"}:
        return "sudo dnf install -y moby-engine && sudo systemctl enable --now docker"
    if family & {"arch"}:
        return "sudo pacman -S docker && sudo systemctl enable --now docker"
    if family & {"opensuse", "suse"}:
        return "sudo zypper install docker && sudo systemctl enable --now docker"
    return "Install Docker Engine with your distribution's package manager, then: sudo systemctl start docker"


def check_engine(
    *,
    ping: Callable[[], str] = ping_engine,
    which: Callable[[str], str | None] = shutil.which,
    platform: str = sys.platform,
    os_release: Callable[[], dict[str, str]] = _read_os_release,
    socket_exists: Callable[[], bool] = lambda: Path("/var/run/docker.sock").exists(),
) -> EngineReport:
    """Found / not running / no permission / not installed, with the fix for this platform."""
    try:
        version = ping()
    except Exception as exc:  # any failure to reach the engine is classified below
        if _permission_denied(exc):
            state = EngineState.NO_PERMISSION
            detail = "Docker is running, but your user may not use it (permission denied)."
        elif which("docker") or which("dockerd") or socket_exists():
            state = EngineState.NOT_RUNNING
            detail = f"Docker is installed but the engine does not answer: {_short(exc)}"
        else:
            state = EngineState.NOT_INSTALLED
            detail = "Docker is not installed. Pipelines run in Docker containers."
        return EngineReport(state, detail, fix_command(state, platform, os_release()))
    return EngineReport(EngineState.FOUND, f"Docker engine {version} is running.")


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


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
_checks: list[threading.Thread] = []


def wait_for_checks(timeout: float = PING_TIMEOUT_S + 1) -> None:
    """Let running engine checks end before Python finalizes (a daemon thread inside Qt at exit can abort)."""
    while _checks:
        _checks.pop().join(timeout)


class _Relay(QObject):
    """Carries the report from the worker thread; the connection queues it to the GUI thread."""

    # the engine check finished
    reported = Signal(object)


class WelcomeDialog(QDialog):
    # the engine check's report arrived and is shown
    engine_checked = Signal(object)

    def __init__(self, window: MainWindow, check: Callable[[], EngineReport] = check_engine) -> None:
        super().__init__(window)
        self.setWindowTitle("Welcome to Pipeline Designer")
        self.window_ = window
        self._check = check
        # No parent: the worker thread keeps it alive even if this dialog is deleted first.
        self._relay = _Relay()
        self._relay.reported.connect(self._show_report)
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
        """Run the engine check on a daemon thread; the answer comes back as ``reported``."""
        self.recheck_button.setEnabled(False)
        self.engine_label.setText("Checking the Docker engine…")
        relay, check = self._relay, self._check

        def work() -> None:
            try:
                report = check()
            except Exception as exc:  # the check itself broke: say so rather than hang on "Checking"
                report = EngineReport(EngineState.NOT_RUNNING, f"The engine check failed: {_short(exc)}")
            relay.reported.emit(report)

        thread = threading.Thread(target=work, name="engine-check", daemon=True)
        _checks.append(thread)
        thread.start()

    def _show_report(self, report: EngineReport) -> None:
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


def show_welcome(window: MainWindow, check: Callable[[], EngineReport] = check_engine) -> WelcomeDialog:
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
