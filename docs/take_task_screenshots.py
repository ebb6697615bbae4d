"""Screenshots of issue 7's run UI with a real run (on the local Docker engine):

    python docs/take_task_screenshots.py [OUT_DIR]


Runs examples/tabular-sweep on the local Docker engine (test images) with its train node as a
3×2 grid task and a require-approval action on evaluate, and saves run-approval.png (the sweep
done, "6/6", evaluate awaiting approval with its buttons and the banner), run-endpoint.png
(approved, the release node's URL) and run-task-sweep.png (the metrics dock: six executions
overlaid and ranked). Not a test (pytest does not collect it); writes only to OUT.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from designer.app import create_app  # noqa: E402
from designer.main_window import MainWindow  # noqa: E402
from designer.run.integration import attach_run_ui  # noqa: E402

IMAGES = {
    "python:3.12-slim": "pipeline-designer-test/python:1",
    "busybox": "pipeline-designer-test/busybox:1",
}


def wait_until(what: Callable[[], bool], timeout: float = 300.0) -> None:
    end = time.monotonic() + timeout
    while not what():
        if time.monotonic() > end:
            raise TimeoutError("the run did not get there in time")
        QTest.qWait(50)


def sweep_project(work: Path) -> Path:
    """The example (train: a 3×2 grid blueprint) with an approval before evaluate."""
    target = work / "tabular-sweep"
    shutil.copytree(ROOT / "examples" / "tabular-sweep", target, ignore=shutil.ignore_patterns("__pycache__"))
    path = target / "valohai.yaml"
    text = path.read_text()
    gate = "          - when: node-starting\n            then: require-approval\n"
    text = text.replace(
        "        step: evaluate\n        actions:\n", "        step: evaluate\n        actions:\n" + gate
    )
    path.write_text(text)
    return path


def main(out: Path) -> int:
    app = create_app()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["PIPELINE_DESIGNER_RECOVERY_DIR"] = str(work / "recovery")
        window = MainWindow(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat))
        window.resize(1600, 1000)
        window.show()
        window.files.open_path(sweep_project(work), confirm=False, recover=False)
        ui = attach_run_ui(window, home=work / "home")
        ui.image_map = dict(IMAGES)
        ui.start_kwargs = {"network": "none", "pull": "never"}
        QTest.qWait(200)
        window.resizeDocks([ui.logs_dock], [380], Qt.Orientation.Vertical)
        window.resizeDocks([ui.logs_dock, ui.metrics_dock], [420, 1180], Qt.Orientation.Horizontal)
        window.view.fit()
        window.scene.select_node("train")
        ui.metrics_dock.raise_()
        assert ui.run_pipeline(params={"train.epochs": 60}, dialog=False), "the run did not start"
        strips = ui.live.strips.strips
        wait_until(lambda: "evaluate" in strips and "approve" in strips["evaluate"].chips)
        QTest.qWait(300)
        window.view.fit()
        QTest.qWait(100)
        window.grab().save(str(out / "run-approval.png"))
        ui.controller.approve("evaluate")
        wait_until(lambda: not ui.controller.busy)
        wait_until(lambda: "release" in strips and "url" in strips["release"].chips, 10)
        window.scene.select_node("train")
        QTest.qWait(300)
        window.grab().save(str(out / "run-endpoint.png"))
        ui.metrics.ranking.metric.setCurrentText("loss")  # the learning rates differ most in loss
        ui.metrics.x_combo.setCurrentText("epoch")
        QTest.qWait(300)
        ui.metrics_dock.grab().save(str(out / "run-task-sweep.png"))
        for name in ("run-approval.png", "run-endpoint.png", "run-task-sweep.png"):
            print(out / name)
        ui.shutdown()  # stops the endpoint container too
        window.files.ask = lambda *a, **k: None  # type: ignore[method-assign]
        window.close()
        window.deleteLater()
        QTest.qWait(100)
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"))
