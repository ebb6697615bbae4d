"""Screenshots of Preferences, the step editor, the run table and a sweep's plots, from real runs:

    python docs/take_workflow_screenshots.py [OUT_DIR] [--only example|sweep]

Runs examples/valohai.yaml three times on the local Docker engine (test images, network none)
with different learning rates, tags and notes one of them, and saves runs-table.png (the Runs
dock filtered to the open file's succeeded runs, sorted by accuracy); runs examples/tabular-sweep
(a 3×2 grid task) and saves sweep-parallel.png and sweep-scatter.png (the ranking pane of the
metrics dock, on its sweep tabs); saves preferences.png (an image mapping, network none) and
step-editor.png (a step picked in the Steps list, its declared outputs). Not a test (pytest does
not collect it); writes only to OUT and a temporary folder.
"""

from __future__ import annotations

import argparse
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

from PySide6.QtCore import QPoint, QRect, QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QDockWidget, QSplitter  # noqa: E402

from designer.app import create_app  # noqa: E402
from designer.main_window import MainWindow  # noqa: E402
from designer.preferences import open_preferences  # noqa: E402
from designer.run.integration import attach_run_ui  # noqa: E402
from runner.api import Settings, save_settings  # noqa: E402

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


def copy_example(work: Path, name: str) -> Path:
    source = ROOT / "examples" / name if name else ROOT / "examples"
    target = work / (name or "mnist-like")
    ignore = shutil.ignore_patterns("__pycache__", "tabular-sweep", "valohai-utils")
    shutil.copytree(source, target, ignore=ignore)
    return target / "valohai.yaml"


def window_on(work: Path, path: Path, size: tuple[int, int] = (1440, 900)) -> tuple[MainWindow, object]:
    ini = work / f"settings-{path.parent.name}.ini"  # each window its own: no size restored from the other
    window = MainWindow(QSettings(str(ini), QSettings.Format.IniFormat))
    window.resize(*size)
    window.show()
    window.files.open_path(path, confirm=False, recover=False)
    ui = attach_run_ui(window, home=work / "home")
    ui.start_kwargs = {"pull": "never"}  # image map and network: the saved settings below
    QTest.qWait(200)
    window.resize(*size)  # once shown: the docks added meanwhile set their own width before
    window.view.fit()
    return window, ui


def run(ui: object, **params: object) -> str:
    finished: list[str] = []
    ui.controller.events.run_finished.connect(lambda e: finished.append(e.run_id))
    assert ui.run_pipeline(params=params, dialog=False), "the run did not start"
    wait_until(lambda: bool(finished) and not ui.controller.busy)
    return finished[0]


def shot_preferences(window: MainWindow, out: Path) -> None:
    dialog = open_preferences(window)
    dialog.add_mapping("python:3.12-slim")
    dialog.images.closePersistentEditor(dialog.images.currentItem())
    dialog.images.item(dialog.images.currentRow(), 1).setText("pipeline-designer-test/python:1")
    dialog.images.clearSelection()
    dialog.resize(640, 470)
    QTest.qWait(200)
    dialog.grab().save(str(out / "preferences.png"))
    dialog.close()


def shot_step_editor(window: MainWindow, out: Path) -> None:
    steps = window.palette_panel.list
    steps.setCurrentRow(1)  # "train", as a click in the Steps list does
    steps.itemClicked.emit(steps.currentItem())
    window.resizeDocks([window.inspector_dock], [560], Qt.Orientation.Horizontal)
    form = window.inspector.step_form
    form.outputs.add_button.click()
    form.outputs.table.item(0, 0).setText("model.npz")
    form.outputs.table.item(0, 1).setText("the trained weights")
    form.outputs.add_button.click()
    form.outputs.table.item(1, 0).setText("metrics/*.json")
    QTest.qWait(200)
    window.view.fit()
    window.inspector.ensureWidgetVisible(form.outputs, 0, 120)
    QTest.qWait(200)
    window.grab().save(str(out / "step-editor.png"))
    while window.document.undo_stack.canUndo():
        window.document.undo_stack.undo()
    window.document.undo_stack.clear()  # the next shot's History shows no undone edits
    window.resizeDocks([window.inspector_dock], [380], Qt.Orientation.Horizontal)
    window.scene.select_node("train")  # the Inspector on the node, from its top


def shot_runs_table(window: MainWindow, ui: object, out: Path) -> None:
    ids = [
        run(ui, **{"train.epoch_delay": 0, "train.epochs": 12, "train.learning_rate": lr})
        for lr in (0.01, 0.05, 0.2)
    ]
    ui.history.set_tags(ids[1], ["baseline"])
    ui.history.set_note(ids[2], "higher learning rate: converges in 12 epochs")
    ui.metrics_dock.hide()  # the Runs dock across the window
    ui.runs_dock.raise_()
    window.resizeDocks([ui.runs_dock], [330], Qt.Orientation.Vertical)
    runs = ui.runs
    runs.refresh()
    runs.filters.status.setCurrentIndex(runs.filters.status.findText("succeeded"))
    accuracy = runs.model.headers().index("accuracy")
    runs.table.sortByColumn(accuracy, Qt.SortOrder.DescendingOrder)
    runs.select_ids(ids[1:])
    QTest.qWait(300)
    window.grab().save(str(out / "runs-table.png"))


def shot_sweep(work: Path, out: Path) -> None:
    window, ui = window_on(work, copy_example(work, "tabular-sweep"), (1900, 1020))
    window.resizeDocks([ui.logs_dock], [520], Qt.Orientation.Vertical)
    window.scene.select_node("train")
    ui.metrics_dock.raise_()
    run(ui, **{"train.epochs": 40})
    window.scene.select_node("train")
    ranking = ui.metrics.ranking
    ranking.metric.setCurrentText("loss")
    QTest.qWait(300)
    # The metrics dock alone across the bottom, so its series, plot and ranking all have room.
    for dock in window.findChildren(QDockWidget):
        if (
            dock is not ui.metrics_dock
            and window.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea
        ):
            dock.hide()
    QTest.qWait(100)
    splitter = ranking.parentWidget()
    while splitter is not None and not isinstance(splitter, QSplitter):
        splitter = splitter.parentWidget()
    if splitter is not None:
        splitter.setSizes([190, 900, 780])
    for index, name in ((1, "sweep-parallel.png"), (2, "sweep-scatter.png")):
        ranking.sweep.tabs.setCurrentIndex(index)
        QTest.qWait(300)
        corner = ranking.mapTo(window, QPoint(0, 0))  # the ranking and its sweep tabs
        window.grab(QRect(corner, ranking.size())).save(str(out / name))
    close(window, ui)


def close(window: MainWindow, ui: object) -> None:
    ui.shutdown()
    window.files.ask = lambda *a, **k: None  # type: ignore[method-assign]
    window.close()
    window.deleteLater()
    QTest.qWait(100)


def main(out: Path, only: str = "") -> int:
    app = create_app()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["PIPELINE_DESIGNER_RECOVERY_DIR"] = str(work / "recovery")
        # The settings where a user's are (Preferences says "Saved in ~/.config/..."), in a home of our own.
        os.environ["HOME"] = str(work / "user")
        for name in ("PIPELINE_DESIGNER_CONFIG", "XDG_CONFIG_HOME"):
            os.environ.pop(name, None)
        save_settings(Settings(image_map=dict(IMAGES), network="none"))
        if only in ("", "example"):
            window, ui = window_on(work, copy_example(work, ""))
            shot_preferences(window, out)
            shot_step_editor(window, out)
            shot_runs_table(window, ui, out)
            close(window, ui)
        if only in ("", "sweep"):
            shot_sweep(work, out)
    for name in (
        "preferences.png",
        "step-editor.png",
        "runs-table.png",
        "sweep-parallel.png",
        "sweep-scatter.png",
    ):
        print(out / name)
    app.quit()
    return 0


if __name__ == "__main__":
    cli = argparse.ArgumentParser(description="Screenshots of Preferences, the run table and a sweep")
    cli.add_argument("out", nargs="?", type=Path, default=ROOT / "docs" / "screenshots")
    cli.add_argument("--only", choices=("example", "sweep"), default="", help="one group of shots")
    options = cli.parse_args()
    sys.exit(main(options.out, options.only))
