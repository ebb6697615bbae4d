"""The welcome screen: engine classification with injected probes, one real check, and the dialog."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from designer.welcome import (
    EngineReport,
    EngineState,
    check_engine,
    example_files,
    fix_command,
    show_welcome,
    wait_for_checks,
)
from runner.execution.engine_check import NoImageError

DEBIAN = {"ID": "debian"}


def _refuse(exc: BaseException):
    def ping() -> str:
        raise exc

    return ping


def _check(
    ping,
    *,
    start=lambda: "busybox:1",
    which=lambda name: None,
    platform="linux",
    release=DEBIAN,
    socket=False,
) -> EngineReport:
    return check_engine(
        ping=ping,
        start=start,
        which=which,
        platform=platform,
        os_release=lambda: release,
        socket_exists=lambda: socket,
    )


def test_found_once_a_test_container_started() -> None:
    report = _check(lambda: "20.10.24")
    assert report.state is EngineState.FOUND and "20.10.24" in report.detail and report.fix == ""
    assert "busybox:1" in report.detail


def test_an_engine_that_answers_but_cannot_start_a_container_is_not_found() -> None:
    def no_bridge() -> str:
        raise RuntimeError(
            '500 Server Error: Internal Server Error ("failed to create endpoint x on network bridge: '
            'adding interface veth1 to bridge docker0 failed: could not find bridge docker0")'
        )

    report = _check(lambda: "20.10.24", start=no_bridge)
    assert report.state is EngineState.CANNOT_START
    assert "bridge network is gone" in report.detail and "--network none" in report.fix


def test_an_engine_without_images_says_so() -> None:
    def no_images() -> str:
        raise NoImageError("the engine has no images")

    report = _check(lambda: "20.10.24", start=no_images)
    assert report.state is EngineState.NO_IMAGES and "docker load" in report.fix


def test_not_running_when_the_client_or_socket_exists() -> None:
    refused = _refuse(ConnectionRefusedError("Connection refused"))
    by_cli = _check(refused, which=lambda name: "/usr/bin/docker" if name == "docker" else None)
    assert by_cli.state is EngineState.NOT_RUNNING and by_cli.fix == "sudo systemctl start docker"
    assert "Connection refused" in by_cli.detail
    assert _check(refused, socket=True).state is EngineState.NOT_RUNNING
    assert _check(refused, platform="darwin", socket=True).fix == "open -a Docker"


def test_not_installed_fix_follows_the_distribution() -> None:
    missing = _refuse(FileNotFoundError("No such file or directory"))
    assert "apt-get install -y docker.io" in _check(missing).fix
    ubuntu_like = {"ID": "linuxmint", "ID_LIKE": "ubuntu debian"}
    assert "apt-get" in _check(missing, release=ubuntu_like).fix
    assert "dnf install" in _check(missing, release={"ID": "fedora"}).fix
    assert "pacman" in _check(missing, release={"ID": "arch"}).fix
    assert "package manager" in _check(missing, release={}).fix
    assert _check(missing, platform="win32").fix == "winget install Docker.DockerDesktop"
    assert "brew install" in _check(missing, platform="darwin").fix
    assert _check(missing).state is EngineState.NOT_INSTALLED


def test_permission_denied_is_found_in_the_cause_chain() -> None:
    try:
        try:
            raise PermissionError(13, "Permission denied")
        except PermissionError as inner:
            raise RuntimeError("Error while fetching server API version") from inner
    except RuntimeError as wrapped:
        report = _check(_refuse(wrapped), socket=True)
    assert report.state is EngineState.NO_PERMISSION
    assert report.fix.startswith("sudo usermod -aG docker")


def test_every_state_has_a_fix_on_every_platform() -> None:
    for platform in ("linux", "darwin", "win32"):
        for state in EngineState:
            assert bool(fix_command(state, platform, DEBIAN)) == (state is not EngineState.FOUND)


@pytest.mark.docker
def test_real_engine_is_found(docker_client) -> None:
    report = check_engine()
    assert report.state is EngineState.FOUND, report
    assert docker_client.version()["Version"] in report.detail


def test_examples_are_listed_with_titles() -> None:
    examples = dict((path.parent.name, title) for title, path in example_files())
    assert examples["examples"].startswith("a three-step training pipeline")
    assert len(examples) >= 3, examples


@pytest.fixture
def window(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from designer.app import create_app
    from designer.main_window import MainWindow

    monkeypatch.setenv("PIPELINE_DESIGNER_RECOVERY_DIR", str(tmp_path / "recovery"))
    create_app()
    w = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    w.files.autosave_timer.stop()
    qtbot.addWidget(w)
    return w


def test_dialog_stays_responsive_while_the_check_blocks(qtbot, window) -> None:
    release = threading.Event()

    def slow_check() -> EngineReport:
        release.wait(10)
        return EngineReport(EngineState.NOT_RUNNING, "engine asleep", "sudo systemctl start docker")

    dialog = show_welcome(window, slow_check)
    qtbot.addWidget(dialog)
    qtbot.wait(50)  # the event loop runs while the check is blocked
    assert "Checking" in dialog.engine_label.text() and not dialog.recheck_button.isEnabled()
    with qtbot.waitSignal(dialog.engine_checked, timeout=5000):
        release.set()
    assert "not running" in dialog.engine_label.text()
    assert dialog.fix_field.text() == "sudo systemctl start docker" and dialog.fix_field.isVisibleTo(dialog)
    wait_for_checks()


def test_dialog_opens_an_example_and_lists_recent_files(qtbot, window, tmp_path: Path) -> None:
    missing = tmp_path / "gone" / "valohai.yaml"
    window.settings.setValue("recentFiles", [str(missing)])
    dialog = show_welcome(window, lambda: EngineReport(EngineState.FOUND, "Docker engine 1 is running."))
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.engine_checked, timeout=5000):
        pass
    assert not dialog.fix_field.isVisibleTo(dialog)
    assert dialog.recent.item(0).text() == str(missing) and not dialog.recent.item(0).isSelected()
    first = dialog.example_buttons[0]
    first.click()
    assert window.document.path == Path(first.toolTip())
    assert not dialog.isVisible()
    assert window.files.recent_files()[0] == first.toolTip()
    dialog.show_on_start.setChecked(False)
    assert window.settings.value("welcome/showOnStart") in (False, "false")
    wait_for_checks()


def test_examples_dir_falls_back_to_the_installed_data_files(tmp_path: Path, monkeypatch) -> None:
    import sys

    import designer.welcome as welcome

    fake_pkg = tmp_path / "site" / "designer"
    fake_pkg.mkdir(parents=True)
    monkeypatch.setattr(welcome, "__file__", str(fake_pkg / "welcome.py"))  # a wheel: no source tree
    installed = tmp_path / "prefix" / "share" / "pipeline-designer" / "examples"
    installed.mkdir(parents=True)
    (installed / "valohai.yaml").write_text("# Example: installed\n[]\n")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    assert welcome.examples_dir() == installed
    assert welcome.example_files() == [("installed", installed / "valohai.yaml")]
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "frozen"), raising=False)
    (tmp_path / "frozen" / "examples").mkdir(parents=True)
    (tmp_path / "frozen" / "examples" / "valohai.yaml").write_text("[]\n")
    assert welcome.examples_dir() == tmp_path / "frozen" / "examples"


def test_run_gui_without_a_file_shows_the_welcome_and_exits_cleanly(tmp_path: Path) -> None:
    """The real entry point in a fresh interpreter: the welcome appears, the engine check ends, exit 0."""
    import os
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from designer.app import create_app, run_gui\n"
        "from designer.welcome import WelcomeDialog\n"
        "app = create_app()\n"
        "def look():\n"
        "    tops = QApplication.topLevelWidgets()\n"
        "    shown = [w for w in tops if isinstance(w, WelcomeDialog) and w.isVisible()]\n"
        "    print('welcome shown:', len(shown), flush=True)\n"
        "    app.quit()\n"
        "QTimer.singleShot(1200, look)\n"
        "sys.exit(run_gui(None))\n"
    )
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path / "cfg"),
        HOME=str(tmp_path),
        PIPELINE_DESIGNER_RECOVERY_DIR=str(tmp_path / "rec"),
    )
    command = [sys.executable, "-c", script]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "welcome shown: 1" in result.stdout
