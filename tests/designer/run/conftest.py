"""Fixtures for the run UI: a real main window with the run docks, a private data and config dir,
the real engine; the Hosts dialog with an in-memory keyring."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from tests.support.images import IMAGE_MAP
from tests.support.paths import REPO


class Prompts:
    def __init__(self) -> None:
        self.asked: list[str] = []
        self.answers: list[bool] = []
        self.warnings: list[str] = []

    def ask(self, title: str, text: str) -> bool:
        self.asked.append(f"{title}: {text}")
        if not self.answers:
            raise AssertionError(f"unexpected question: {title}: {text}")
        return self.answers.pop(0)

    def warn(self, title: str, text: str) -> None:
        self.warnings.append(f"{title}: {text}")


@pytest.fixture
def prompts() -> Prompts:
    return Prompts()


@pytest.fixture
def make_run_window(
    qtbot: Any, tmp_path: Path, home: Path, config_dir: Path, prompts: Prompts
) -> Iterator[Callable[..., Any]]:
    """A main window with the run UI attached, opened on ``path``; shut down after the test."""
    from designer.app import create_app
    from designer.main_window import MainWindow
    from designer.run.integration import attach_run_ui

    create_app()
    made: list[Any] = []

    def make(path: Path | None = None, **start_kwargs: Any) -> Any:
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings)
        window.files.ask = lambda *a, **k: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
        window.files.warn = prompts.warn  # type: ignore[method-assign]
        window.files.autosave_timer.stop()
        qtbot.addWidget(window)
        ui = attach_run_ui(window, home=home)
        ui.ask, ui.warn = prompts.ask, prompts.warn
        ui.warnings = prompts.warnings
        ui.image_map = dict(IMAGE_MAP)
        ui.start_kwargs = {"network": "none", "pull": "never", **start_kwargs}
        window.resize(1400, 900)
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


@pytest.fixture
def example_project(tmp_path: Path) -> Path:
    """A copy of examples/ (the runner reads the code folder; tests never write into the repo)."""
    target = tmp_path / "example"
    shutil.copytree(REPO / "examples", target, ignore=shutil.ignore_patterns("__pycache__"))
    return target / "valohai.yaml"


@pytest.fixture
def hosts_dialog(qtbot: Any, config_dir: Path, memory_keyring: Any) -> Any:
    from designer.run.hosts_dialog import HostsDialog

    dialog = HostsDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog
