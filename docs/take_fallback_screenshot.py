"""Render docs/screenshots/edit-fallback.png: an edit that could not be a patch of the text
(a step merged with ``<<: *base``) and the status bar saying why, offscreen.

Run from the repository root: ``.venv/bin/python docs/take_fallback_screenshot.py``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from PySide6.QtCore import QSettings

    from designer.app import create_app
    from designer.main_window import MainWindow
    from tests.support.edit_patterns import MERGED

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PIPELINE_DESIGNER_RECOVERY_DIR"] = str(Path(tmp) / "recovery")
        app = create_app()
        window = MainWindow(QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat))
        window.files.autosave_timer.stop()
        window.resize(1280, 800)
        window.show()
        path = Path(tmp) / "valohai.yaml"
        path.write_text(MERGED, encoding="utf-8")
        window.files.open_path(path, confirm=False)
        window.scene.select_node("evaluate")
        image = window.inspector.step_form.image
        image.setFocus()
        image.setText("busybox")
        image.editingFinished.emit()
        for _ in range(30):
            app.processEvents()
        out = ROOT / "docs" / "screenshots" / "edit-fallback.png"
        window.grab().save(str(out))
        print(f"wrote {out}: {window.statusBar().currentMessage()}")
        window.document.undo_stack.setClean()
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
