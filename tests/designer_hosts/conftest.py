"""Hosts-dialog fixtures: a private config dir and data dir, an in-memory keyring, the test sshd.

The keyring backend is replaced for the test and restored after (the user's keyring is never
touched); ``PIPELINE_DESIGNER_CONFIG`` points at a temporary folder, so the registry and
known_hosts the dialog writes are the test's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox
from remote.remote_helpers import MemoryKeyring, start_sshd
from sshd.sshd_server import ThrowawaySshd

from runner.hosts.paths import CONFIG_ENV
from runner.store.paths import HOME_ENV


@pytest.fixture(autouse=True)
def ssh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME with an empty ~/.ssh and no agent: the developer's own ssh config never leaks in."""
    path = tmp_path / "sshhome"
    (path / ".ssh").mkdir(parents=True, mode=0o700)
    monkeypatch.setenv("HOME", str(path))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return path


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    try:
        yield ring
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config"
    monkeypatch.setenv(CONFIG_ENV, str(path))
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv(HOME_ENV, str(path))
    monkeypatch.setenv("PIPELINE_DESIGNER_RECOVERY_DIR", str(tmp_path / "recovery"))
    return path


@pytest.fixture
def sshd() -> Iterator[ThrowawaySshd]:
    server = start_sshd()  # skips without sshd; fails instead when CI=true
    try:
        yield server
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def hosts_dialog(qtbot: Any, config_dir: Path, memory_keyring: MemoryKeyring) -> Any:
    from designer.run.hosts_dialog import HostsDialog

    dialog = HostsDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


@pytest.fixture
def make_run_window(qtbot: Any, tmp_path: Path, home: Path, config_dir: Path) -> Iterator[Callable[..., Any]]:
    """A main window with the run UI attached (warnings collected in ``ui.warnings``)."""
    from designer.app import create_app
    from designer.main_window import MainWindow
    from designer.run.integration import attach_run_ui

    create_app()
    made: list[Any] = []

    def make(path: Path | None = None, **start_kwargs: Any) -> Any:
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings)
        window.files.ask = lambda *a, **k: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
        window.files.autosave_timer.stop()
        qtbot.addWidget(window)
        ui = attach_run_ui(window, home=home)
        ui.warnings = []
        ui.warn = lambda title, text: ui.warnings.append(f"{title}: {text}")
        ui.start_kwargs = {"network": "none", "pull": "never", **start_kwargs}
        window.show()
        qtbot.waitExposed(window)
        if path is not None:
            assert window.files.open_path(path, confirm=False)
        made.append(ui)
        return ui

    yield make
    for ui in made:
        ui.shutdown()
        ui.window.close()
