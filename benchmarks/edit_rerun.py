"""The edit → save → run loop on the example pipeline, walked in the designer as a user does it.

Open examples/valohai.yaml, run the pipeline (cold), save with nothing changed and run again,
then change one parameter of the last node (evaluate's min_accuracy, in the Inspector), save
and run. Measured: containers started and wall time of each run, from Run to the run's end.
Target: the unchanged run starts no container, the edited one only evaluate's.
Needs the Docker engine and the test image pipeline-designer-test/python:1 (``make images``).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import docker  # noqa: E402
from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402

from designer.app import create_app  # noqa: E402
from designer.main_window import MainWindow  # noqa: E402
from designer.run.integration import attach_run_ui  # noqa: E402
from runner.config import edits  # noqa: E402
from runner.store.paths import HOME_ENV  # noqa: E402

PYTHON_IMAGE = "pipeline-designer-test/python:1"
PARAMS = {"train.epoch_delay": 0}  # the same every run: no wait per epoch
RUN_TIMEOUT_MS = 300_000


class Runs:
    """Run ▸ Run pipeline, waited for in an event loop as the window would."""

    def __init__(self, ui: Any, client: Any) -> None:
        self.ui, self.client = ui, client
        self.loop = QEventLoop()
        self.finished: list[Any] = []
        ui.controller.events.run_finished.connect(self._ended)
        ui.controller.events.run_failed.connect(
            lambda msg: (print(f"edit_rerun: failed: {msg}"), self.loop.quit())
        )

    def _ended(self, event: Any) -> None:
        self.finished.append(event)
        self.loop.quit()

    def run(self) -> tuple[float, int, dict[str, str]]:
        """(wall seconds from Run to the run's end, containers started, node statuses)."""
        self.finished.clear()
        since = time.time()
        t0 = time.perf_counter()
        if not self.ui.run_pipeline(params=PARAMS, dialog=False):
            raise SystemExit("edit_rerun: the run did not start")
        QTimer.singleShot(RUN_TIMEOUT_MS, self.loop.quit)
        self.loop.exec()
        seconds = time.perf_counter() - t0
        if not self.finished:
            raise SystemExit("edit_rerun: the run did not finish in time")
        while self.ui.controller.busy:
            self.loop.processEvents()
        event = self.finished[0]
        started = self.client.events(
            since=int(since),
            until=int(time.time()) + 1,
            decode=True,
            filters={
                "type": "container",
                "event": "start",
                "label": f"pipeline-designer.run-id={event.run_id}",
            },
        )
        return seconds, len(list(started)), dict(event.node_statuses)


def main() -> int:
    client = docker.from_env()
    client.images.get(PYTHON_IMAGE)
    root = Path(tempfile.mkdtemp(prefix="bench-edit-rerun-"))
    try:
        os.environ[HOME_ENV] = str(root / "home")
        os.environ["PIPELINE_DESIGNER_RECOVERY_DIR"] = str(root / "recovery")
        shutil.copytree(REPO / "examples", root / "project", ignore=shutil.ignore_patterns("__pycache__"))
        create_app()
        window = MainWindow(QSettings(str(root / "settings.ini"), QSettings.Format.IniFormat))
        ui = attach_run_ui(window, home=root / "home")
        ui.image_map = {"python:3.12-slim": PYTHON_IMAGE}
        ui.start_kwargs = {"network": "none", "pull": "never", "client": client}
        ui.warn = lambda title, text: print(f"edit_rerun: {title}: {text}")
        window.files.warn = ui.warn
        window.show()
        assert window.files.open_path(root / "project" / "valohai.yaml", confirm=False)
        pipeline = window.current_pipeline
        runs = Runs(ui, client)
        try:
            cold = runs.run()
            window.files.save()  # nothing changed: the user saves out of habit
            same = runs.run()
            error = window.editor.edit(
                "Set min_accuracy",
                edits.set_override_value,
                pipeline,
                "evaluate",
                "parameters",
                "min_accuracy",
                0.6,
            )
            assert error is None, error
            window.files.save()
            edited = runs.run()
        finally:
            ui.shutdown()
            window.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    ok = same[1] == 0 and edited[1] == 1
    for label, (seconds, containers, statuses) in (
        ("cold run", cold),
        ("saved, nothing changed", same),
        ("evaluate's min_accuracy changed, saved", edited),
    ):
        states = ", ".join(f"{n} {s}" for n, s in statuses.items())
        print(f"edit_rerun: {label}: {seconds:.2f} s, {containers} container(s) started ({states})")
    print(
        f"edit_rerun: edited/unchanged wall time {edited[0] / same[0]:.2f}x, edited/cold "
        f"{edited[0] / cold[0]:.2f}x; containers unchanged {same[1]} (target 0), edited {edited[1]} "
        f"(target 1) {'PASS' if ok else 'MISS'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
