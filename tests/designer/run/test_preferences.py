"""Preferences: saved where the CLI reads them, applied without a restart, and offered as the fix
when a run misses an image (a real run on the real engine, the loop a user walks)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from designer.preferences import DEFAULT_NETWORK, PreferencesDialog, open_preferences
from designer.theme import apply_theme_choice
from runner.api import Settings, load_settings, save_settings
from runner.cli import run_cmd

STEP = """
- step:
    name: hello
    image: {image}
    command: echo hello from {{parameter-value:who}}
    parameters:
      - name: who
        type: string
        default: the container
- pipeline:
    name: p
    nodes:
      - {{name: hello, type: execution, step: hello}}
    edges: []
"""


@pytest.fixture
def config(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's own settings file (in ``config_dir``), the theme put back afterwards."""
    monkeypatch.delenv("PIPELINE_DESIGNER_IMAGE_MAP", raising=False)
    yield config_dir
    apply_theme_choice("system")


def _run_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    run_cmd.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["run", "x.yaml", "--step", "s", *argv])


def test_preferences_are_saved_for_the_cli_and_applied_at_once(qtbot, make_run_window, config: Path) -> None:
    ui = make_run_window()
    window = ui.window
    action = window.preferences_action
    assert QKeySequence("Ctrl+,") in action.shortcuts()
    assert action.menuRole() == action.MenuRole.PreferencesRole  # the app menu on macOS
    action.trigger()
    dialog = window.preferences_dialog
    assert isinstance(dialog, PreferencesDialog) and dialog.isVisible()
    assert dialog.network.currentText() == DEFAULT_NETWORK and dialog.images.rowCount() == 0
    dialog.add_mapping("python:3.12-slim")
    dialog.images.item(0, 1).setText("pipeline-designer-test/python:1")
    dialog.network.setCurrentText("none")
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert not dialog.isVisible()
    saved = load_settings()
    assert saved.image_map == {"python:3.12-slim": "pipeline-designer-test/python:1"}
    assert saved.network == "none" and saved.theme == "dark"
    # Applied without a restart: the palette is dark now.
    assert QApplication.palette().base().color().lightness() < 128
    # The command line on this machine uses the same values.
    assert run_cmd.engine_options(_run_args()) == (
        {"python:3.12-slim": "pipeline-designer-test/python:1"},
        "none",
    )
    # Reopened, the dialog shows what was saved.
    dialog = open_preferences(window)
    assert dialog.settings() == saved


def test_a_bad_value_is_refused_and_nothing_is_written(qtbot, make_run_window, config: Path) -> None:
    save_settings(Settings(network="none"))
    dialog = open_preferences(make_run_window().window)
    dialog.network.setCurrentText("two words")
    assert not dialog.apply()
    assert "give a network name" in dialog.problem.text() and dialog.problem.isVisibleTo(dialog)
    assert load_settings().network == "none"


def test_the_resident_runner_switch_survives_a_save_from_the_dialog(
    qtbot, make_run_window, config: Path
) -> None:
    save_settings(Settings(resident_runner=True))  # `settings set resident-runner on`
    dialog = open_preferences(make_run_window().window)
    dialog.network.setCurrentText("none")
    assert dialog.apply()
    saved = load_settings()
    assert saved.network == "none" and saved.resident_runner is True


def test_a_broken_settings_file_is_shown_and_can_be_replaced(
    qtbot, make_run_window, project, config: Path, prompts
) -> None:
    config.mkdir(exist_ok=True)
    (config / "settings.json").write_text('{"network": none}\n')
    ui = make_run_window(project(STEP.format(image="busybox")))
    assert not ui.run_pipeline(dialog=False)  # a run refuses to guess what the user meant
    assert "settings.json:1:13" in prompts.warnings[-1] and "Preferences" in prompts.warnings[-1]
    dialog = open_preferences(ui.window)
    assert "settings.json:1:13: not valid JSON" in dialog.problem.text()
    assert dialog.apply() and load_settings() == Settings()


@pytest.mark.docker
def test_missing_image_offers_the_mapping_and_the_next_run_uses_it(
    qtbot, make_run_window, project, config: Path, prompts, docker_client, busybox_image: str
) -> None:
    """Run → the image is missing, no registry → Map it? yes → Preferences with the row → OK → run again."""
    missing = "pipeline-designer-test/busybox:not-here"
    path = project(STEP.format(image=missing))
    ui = make_run_window(path, client=docker_client)
    ui.image_map = {}  # only what Preferences says
    ui.start_kwargs = {"pull": "missing"}  # network and image map from the saved settings
    save_settings(Settings(network="none"))
    opened: list[Any] = []
    ui.failures.open_preferences = lambda image: opened.append(open_preferences(ui.window, map_image=image))
    prompts.answers = [True]
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=60_000) as blocker:
        assert ui.run_pipeline(dialog=False)
    assert blocker.args[0].status == "failed"
    state = ui.controller.states.state("hello")
    assert f"image '{missing}' is not on the Docker engine" in state.message
    assert "500 Server Error" not in state.message
    qtbot.waitUntil(lambda: bool(opened), timeout=5000)
    assert "Image not found" in prompts.asked[-1] and missing in prompts.asked[-1]
    dialog = opened[0]
    row = dialog.images.currentRow()
    assert dialog.images.item(row, 0).text() == missing and dialog.images.currentColumn() == 1
    dialog.images.item(row, 1).setText(busybox_image)  # what the user types in the focused cell
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert load_settings().image_map == {missing: busybox_image}
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=60_000) as blocker:
        assert ui.run_pipeline(dialog=False)
    assert blocker.args[0].status == "succeeded"
    ui.window.scene.select_node("hello")
    assert any("hello from the container" in line.text for line in ui.logs.lines()), ui.logs.lines()


def test_default_run_target_is_what_runs_use(
    qtbot, make_run_window, project, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ui = make_run_window()
    ui.window.settings.setValue("run/target", "local")  # the Run dialog's last choice
    dialog = open_preferences(ui.window)
    dialog.target.setCurrentText("gpu1")
    assert dialog.apply()
    assert load_settings().run_target == "gpu1"
    assert ui.target_hosts() == ["gpu1"]  # the new default wins over the dialog's old choice
    dialog.close()
    # `pipeline-designer run` on this machine sends its runs there too (no host of that name here).
    path = str(project(STEP.format(image="busybox")))
    parser = argparse.ArgumentParser()
    run_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["run", path, "--step", "hello", "--backend", "local"])
    assert args.func(args) == 2
    assert "unknown host 'gpu1'" in capsys.readouterr().err


def test_theme_follows_the_choice_not_only_the_system(qtbot, make_run_window, config: Path) -> None:
    window = make_run_window().window
    dialog = open_preferences(window)
    dialog.theme.setCurrentIndex(dialog.theme.findData("light"))
    assert dialog.apply()
    assert QApplication.palette().base().color().lightness() > 128
    assert QApplication.instance().property("pd_theme") == "light"
    dialog.close()
    qtbot.keyClick(window, Qt.Key.Key_Escape)  # the window still takes keys: nothing modal is left


def test_a_theme_set_from_the_command_line_is_the_one_the_designer_starts_with(qtbot, config: Path) -> None:
    """`pipeline-designer settings set theme dark` and Preferences write one file; start-up reads it."""
    from designer.app import create_app
    from runner.cli import settings_cmd

    parser = argparse.ArgumentParser()
    settings_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["settings", "set", "theme", "dark"])
    assert args.func(args) == 0
    app = create_app()
    assert app.property("pd_theme") == "dark" and app.palette().base().color().lightness() < 128
    args = parser.parse_args(["settings", "set", "theme", "light"])
    assert args.func(args) == 0
    assert create_app().palette().base().color().lightness() > 128


def _inked_lightness(image: Any) -> int:
    """The darkest opaque pixel of an icon: light when the whole glyph is drawn light."""
    inked = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
    return min(c.lightness() for c in inked if c.alpha() > 200)


def test_switching_to_dark_while_open_looks_as_starting_dark(
    qtbot, make_run_window, project, config: Path
) -> None:
    """Style-sheeted tables (the frozen Name column) and the Steps list's icons follow a switch too."""
    apply_theme_choice("light")
    ui = make_run_window(project(STEP.format(image="busybox")))
    window = ui.window
    window.inspector.show_step("hello")
    frozen = window.inspector.step_form.params.frozen
    assert frozen is not None
    dialog = open_preferences(window)
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    assert dialog.apply()
    dialog.close()
    QApplication.processEvents()
    cells = frozen.viewport().grab().toImage()
    assert cells.pixelColor(cells.width() // 2, cells.height() - 2).lightness() < 100  # not left white
    step_icon = window.palette_panel.list.item(0).icon().pixmap(16, 16).toImage()
    assert _inked_lightness(step_icon) > 150
    new_step = window.palette_panel.new_step.icon().pixmap(16, 16).toImage()
    assert _inked_lightness(new_step) > 150
