"""Screenshots of the run UI with real data: ``python docs/take_run_screenshots.py [OUT_DIR]``.

Runs ``examples/valohai.yaml`` on the local Docker engine (images mapped through
PIPELINE_DESIGNER_IMAGE_MAP, by default to the test image) in a throw-away data folder, and
saves run-live.png (mid-run: badges, live curves, progress), run-metrics.png (two runs overlaid,
smoothed), run-logs.png (the train log with metadata lines highlighted and a search) and
run-compare.png (the compare dialog).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PIPELINE_DESIGNER_IMAGE_MAP", "python:3.12-slim=pipeline-designer-test/python:1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from designer.app import create_app  # noqa: E402
from designer.main_window import MainWindow  # noqa: E402
from designer.run.integration import RunUI, attach_run_ui  # noqa: E402


def wait_until(app: QApplication, what, timeout: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not what():
        if time.monotonic() > end:
            raise TimeoutError("the run did not get there in time")
        QTest.qWait(50)


def run_and_wait(app: QApplication, ui: RunUI, params: dict) -> None:  # type: ignore[type-arg]
    assert ui.run_pipeline(params=params, dialog=False)
    wait_until(app, lambda: not ui.controller.busy)


def example_window(work: Path, width: int = 1600, height: int = 1000) -> tuple[MainWindow, RunUI]:
    """A main window with the run UI on a copy of examples/ in ``work`` (its own data folder)."""
    shutil.copytree(ROOT / "examples", work / "example", ignore=shutil.ignore_patterns("__pycache__"))
    os.environ["PIPELINE_DESIGNER_RECOVERY_DIR"] = str(work / "recovery")
    window = MainWindow(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat))
    window.resize(width, height)
    window.show()
    window.files.open_path(work / "example" / "valohai.yaml", confirm=False, recover=False)
    ui = attach_run_ui(window, home=work / "home")
    ui.start_kwargs = {"network": "none", "pull": "never"}
    QTest.qWait(200)
    return window, ui


def main(out_dir: Path) -> int:
    app = create_app()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        window, ui = example_window(work)
        window.resizeDocks([ui.logs_dock], [330], Qt.Orientation.Vertical)
        window.resizeDocks([ui.logs_dock, ui.metrics_dock], [640, 960], Qt.Orientation.Horizontal)
        QTest.qWait(100)
        window.view.fit()
        # first run, slow learning rate, to compare with later
        run_and_wait(app, ui, {"train.learning_rate": 0.005, "train.epoch_delay": 0.0, "train.epochs": 40})
        # second run, live: shoot mid-train
        window.scene.select_node("train")
        first = ui.shown_run
        assert ui.run_pipeline(params={"train.epochs": 40, "train.epoch_delay": 0.12}, dialog=False)
        wait_until(app, lambda: ui.shown_run != first)
        live = lambda: [s for (r, n), s in ui.metrics.sources.items() if r == ui.shown_run and n == "train"]  # noqa: E731
        wait_until(app, lambda: bool(live()) and len(live()[0]) >= 22)
        ui.metrics_dock.raise_()
        QTest.qWait(150)
        window.grab().save(str(out_dir / "run-live.png"))
        wait_until(app, lambda: not ui.controller.busy)
        # metrics: both runs of train overlaid, smoothed, x = epoch
        runs = [s.id for s in ui.runs.summaries[:2]]
        ui.compare_runs(runs[1], runs[0])
        ui.metrics.show_only({(r, "train") for r in runs})
        ui.metrics.x_combo.setCurrentText("epoch")
        ui.metrics.set_keys(["loss", "accuracy"])
        ui.metrics.smooth_slider.setValue(60)
        QTest.qWait(200)
        ui.metrics_dock.resize(1100, 420)
        ui.metrics_dock.grab().save(str(out_dir / "run-metrics.png"))
        assert ui.compare_dialog is not None
        ui.compare_dialog.grab().save(str(out_dir / "run-compare.png"))
        ui.compare_dialog.close()
        # logs of train with a search
        window.scene.select_node("train")
        ui.logs_dock.raise_()
        ui.logs.search.setText('"epoch": 1')
        ui.logs.find_next()
        QTest.qWait(150)
        ui.logs_dock.grab().save(str(out_dir / "run-logs.png"))
        for name in ("run-live.png", "run-metrics.png", "run-compare.png", "run-logs.png"):
            print(out_dir / name)
        ui.shutdown()
        window.files.ask = lambda *a: None  # type: ignore[method-assign]
        window.close()
        window.deleteLater()
        QTest.qWait(100)
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"))
