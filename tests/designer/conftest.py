"""Fixtures for the designer's widget tests: an isolated main window with scripted prompts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from tests.support.paths import REPO

CORPUS = REPO.parent / "shared" / "corpus"


class Prompts:
    """Answers the file controller's questions in order and records them."""

    def __init__(self) -> None:
        self.answers: list[QMessageBox.StandardButton] = []
        self.asked: list[str] = []
        self.warnings: list[str] = []

    def ask(self, title: str, text: str, buttons, default):
        self.asked.append(title)
        if not self.answers and title in ("Unsaved changes", "File does not parse"):
            return QMessageBox.StandardButton.Discard  # pytest-qt closes the windows after each test
        if not self.answers:
            raise AssertionError(f"unexpected prompt: {title}: {text}")
        return self.answers.pop(0)

    def warn(self, title: str, text: str) -> None:
        self.warnings.append(f"{title}: {text}")


@pytest.fixture
def prompts() -> Prompts:
    return Prompts()


@pytest.fixture
def make_window(qtbot, tmp_path: Path, prompts: Prompts, monkeypatch: pytest.MonkeyPatch):
    """A factory of main windows sharing one settings file and one recovery folder."""
    from designer.app import create_app
    from designer.main_window import MainWindow

    monkeypatch.setenv("PIPELINE_DESIGNER_RECOVERY_DIR", str(tmp_path / "recovery"))
    create_app()
    windows: list[MainWindow] = []

    def make() -> MainWindow:
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings)
        window.files.ask = prompts.ask  # type: ignore[method-assign]
        window.files.warn = prompts.warn  # type: ignore[method-assign]
        window.files.autosave_timer.stop()
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    return make


@pytest.fixture
def window(make_window):
    return make_window()


@pytest.fixture
def example_yaml(tmp_path: Path) -> Iterator[Path]:
    source = CORPUS / "valohai-yaml" / "examples__pipeline-example.yaml"
    target = tmp_path / "valohai.yaml"
    target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    yield target
