"""Render docs/screenshots/welcome.png: the welcome screen, offscreen, with a fixed engine report.

Run from the repository root: ``.venv/bin/python docs/take_welcome_screenshot.py``.
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
    from designer.welcome import EngineReport, EngineState, WelcomeDialog, wait_for_checks

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PIPELINE_DESIGNER_RECOVERY_DIR"] = str(Path(tmp) / "recovery")
        app = create_app()
        window = MainWindow(QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat))
        window.settings.setValue("recentFiles", [str(ROOT / "examples" / "valohai.yaml")])
        report = EngineReport(
            EngineState.NOT_RUNNING,
            "Docker is installed but the engine does not answer.",
            "sudo systemctl start docker",
        )
        dialog = WelcomeDialog(window, lambda: report)
        dialog.show()
        dialog.start_check()
        wait_for_checks()
        for _ in range(20):
            app.processEvents()
        out = ROOT / "docs" / "screenshots" / "welcome.png"
        dialog.grab().save(str(out))
        print(f"wrote {out}")
        dialog.close()
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
