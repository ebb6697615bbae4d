"""A designer process that is killed with SIGKILL by ``test_unparsable_text``.

It opens the file given on the command line, types text that does not parse into the YAML view,
lets the autosave run, prints ``AUTOSAVED`` and waits in the event loop to be killed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QTextCursor

from designer.app import create_app
from designer.main_window import MainWindow


def main(path: str, settings: str, typed: str) -> int:
    app = create_app()
    window = MainWindow(QSettings(settings, QSettings.Format.IniFormat))
    window.show()
    assert window.files.open_path(Path(path), confirm=False, recover=False)
    editor = window.yaml_panel.editor
    editor.selectAll()
    editor.insertPlainText(Path(typed).read_text(encoding="utf-8"))
    editor.moveCursor(QTextCursor.MoveOperation.Start)

    def autosave() -> None:
        try:
            window.yaml_panel.flush()
            saved = window.document.text_problem is not None and window.files.autosave() is not None
        except Exception as exc:  # reported to the test, which must not wait for ever
            print(f"NOT AUTOSAVED: {type(exc).__name__}: {exc}", flush=True)
            app.exit(3)
            return
        print("AUTOSAVED" if saved else "NOT AUTOSAVED", flush=True)
        if not saved:
            app.exit(3)

    QTimer.singleShot(100, autosave)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
