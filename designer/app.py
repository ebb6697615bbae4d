"""Start the GUI: ``run_gui(path)`` is what ``pipeline-designer [FILE]`` calls."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from designer.main_window import APP_NAME, MainWindow
from designer.theme import apply_theme, follow_system_theme

ORGANIZATION = "pipeline-designer"


def create_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APP_NAME)
    apply_theme(app)
    follow_system_theme(app)
    return app  # type: ignore[return-value]


def _attach_run_ui(window: MainWindow) -> None:
    """The run side (issue 5): docks, Run menu and node badges; then restore the docks' layout."""
    from designer.run.integration import attach_run_ui

    attach_run_ui(window)
    window.files.restore_geometry()  # again: the run docks did not exist at the first restore


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
    if not path:  # an opened file has already been checked for its own autosave
        QTimer.singleShot(0, window.files.offer_recovery)
    code = app.exec()
    # Shut down explicitly before Python finalizes (STYLE 6.8): close, drop references, collect.
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, 0)
    del window
    gc.collect()
    return int(code)
