"""Start the GUI: ``run_gui(path)`` is what ``pipeline-designer [FILE]`` calls."""

from __future__ import annotations

import gc
import os
import sys
import tempfile
from functools import partial
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMessageBox

from designer.main_window import APP_NAME, MainWindow
from designer.theme import apply_theme_choice, follow_system_theme, saved_theme

ORGANIZATION = "pipeline-designer"


def create_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APP_NAME)
    apply_theme_choice(saved_theme(), app)
    follow_system_theme(app)
    return app  # type: ignore[return-value]


def _attach_run_ui(window: MainWindow) -> None:
    """The run side (issue 5): docks, Run menu and node badges; then restore the docks' layout."""
    from designer.run.integration import attach_run_ui
    from designer.shortcuts import show_shortcuts_in_tooltips

    attach_run_ui(window)
    window.files.restore_geometry()  # again: the run docks did not exist at the first restore
    show_shortcuts_in_tooltips(window)


def _attach_welcome(window: MainWindow) -> None:
    """Help > Welcome, and the welcome screen at start-up (issue 8) when no file was opened."""
    from designer.shortcuts import shortcuts_action
    from designer.welcome import show_on_start, show_welcome

    action = QAction("&Welcome…", window)
    action.triggered.connect(lambda: show_welcome(window))
    help_menu = window.menuBar().addMenu("&Help")
    help_menu.addAction(action)
    help_menu.addAction(shortcuts_action(window))
    if window.document.path is None and show_on_start(window):
        show_welcome(window)


def _shut_down(window: MainWindow) -> None:
    """Close explicitly before Python finalizes: close, drop references, collect
    (docs/architecture.md "Shutdown")."""
    from designer.welcome import wait_for_checks

    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, 0)
    wait_for_checks()
    gc.collect()


def run_self_test(path: str | None = None) -> int:
    """``--self-test``: open the example (or ``path``) offscreen, lint it, quit; 0 when all is well."""
    from designer.welcome import check_configured_engine, examples_dir
    from runner.api import ConfigLoadError, has_errors, lint, load

    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # read when the QApplication is created
    target = Path(path) if path else examples_dir() / "valohai.yaml"
    with tempfile.TemporaryDirectory(prefix="pd-self-test-") as tmp:
        os.environ["PIPELINE_DESIGNER_RECOVERY_DIR"] = str(Path(tmp) / "recovery")
        app = create_app()
        window = MainWindow(QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat))
        _attach_run_ui(window)
        failures: list[str] = []
        window.files.warn = lambda title, text: failures.append(f"{title}: {text}")  # type: ignore[method-assign]
        # Nothing to keep: the self-test never edits, and closing a file that does not parse
        # would otherwise ask (an offscreen prompt nobody answers).
        window.files.ask = lambda *_a, **_k: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
        if not window.files.open_path(target, confirm=False, recover=False):
            failures.append(f"could not open {target}")
        window.show()
        app.processEvents()
        items = len(window.scene.items())
        try:
            diagnostics = lint(load(target))
            errors = [d.format() for d in diagnostics if d.severity == "error"]
            failures += errors if has_errors(diagnostics) else []
        except ConfigLoadError as exc:
            failures.append(exc.format())
        if not items:
            failures.append("the canvas shows nothing")
        print(f"self-test: {target}: pipeline {window.current_pipeline!r}, {items} canvas items")
        engine = check_configured_engine()  # informational: editing and linting work without an engine
        fix = f" To fix: {engine.fix}" if engine.fix else ""
        print(f"self-test: Docker engine {engine.state.value}: {engine.detail}{fix}")
        _shut_down(window)
        del window
    for failure in failures:
        print(f"self-test FAILED: {failure}", file=sys.stderr)
    print("self-test: ok" if not failures else "self-test: failed")
    return 0 if not failures else 1


def run_gui(path: str | None) -> int:
    """Create the application and the main window, open ``path`` if given, run, return the exit code."""
    app = create_app()
    window = MainWindow(QSettings())
    _attach_run_ui(window)
    if path:
        target = Path(path)
        if not target.exists():
            window.files.warn("Cannot open file", f"{target} does not exist.")
        else:
            window.files.open_path(target, confirm=False)
    window.show()
    window.fit_to_screen()  # once shown: before, the dock layout holds the window at its own width
    if not path:  # an opened file has already been checked for its own autosave
        QTimer.singleShot(0, window.files.offer_recovery)
    QTimer.singleShot(0, partial(_attach_welcome, window))  # after recovery, which may open a file
    from designer.stop_signals import end_on_stop_signals

    stop = end_on_stop_signals(app, window)  # SIGTERM, SIGHUP, Ctrl-C: cancel the run, keep edits
    code = app.exec()
    stop.uninstall()
    _shut_down(window)
    del window
    return int(code)
