"""The main window with the run UI and two 1,000,000-point curves exits with code 0
(docs/architecture.md "Shutdown")."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.paths import REPO

pytestmark = pytest.mark.gui

SCRIPT = textwrap.dedent(
    """
    import sys, tempfile
    from pathlib import Path
    import numpy as np
    from PySide6.QtCore import QSettings, QTimer
    from designer.app import create_app
    from designer.main_window import MainWindow
    from designer.run.integration import attach_run_ui
    from designer.run.series import MetricSource

    tmp = Path(tempfile.mkdtemp())
    app = create_app()
    window = MainWindow(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat))
    window.files.open_path(Path(sys.argv[1]), confirm=False, recover=False)
    ui = attach_run_ui(window, home=tmp / "home")
    for run in ("run-a", "run-b"):
        src = MetricSource(run, "train")
        src.fill(np.arange(1_000_000, dtype=float), {"loss": np.random.default_rng(0).random(1_000_000)})
        ui.metrics.sources[(run, "train")] = src
    ui.metrics.plot.set_curves([(s, "loss") for s in ui.metrics.sources.values()])
    ui.metrics.smooth_slider.setValue(50)  # raw (faint) and smoothed curves: four big curves
    window.show()
    frames = []
    def tick():
        for s in ui.metrics.sources.values():
            s.add_records([{"loss": 0.5}] * 100)
        ui.metrics.plot.refresh()
        ui.metrics.plot_widget.viewport().repaint()  # many real repaints: 6.12 leaked True on each
        frames.append(ui.metrics.plot.frames)
        if len(frames) == TICKS:
            window.close()  # the run UI shuts down on close: timers stopped, plots cleared
            app.quit()
    TICKS = 300
    timer = QTimer(interval=0)
    timer.timeout.connect(tick)
    timer.start()
    code = app.exec()
    timer.stop()
    assert ui._closed and frames[-1] >= 250, (ui._closed, frames[-1])
    window.deleteLater()
    app.processEvents()
    del window, ui
    print("frames", frames[-1])
    sys.exit(code)
    """
)


def test_window_with_big_plots_exits_cleanly(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text(SCRIPT)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(REPO),
        "PIPELINE_DESIGNER_RECOVERY_DIR": str(tmp_path / "rec"),
    }
    proc = subprocess.run(
        [sys.executable, str(script), str(REPO / "examples" / "valohai.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "frames" in proc.stdout
