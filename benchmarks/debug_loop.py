"""The notebook-cell loop: save a file -> the re-run node's first metric in the Metrics dock.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/debug_loop.py [--repeat 5]

Measured in the designer (offscreen) on the local engine, against baselines in the same run: the
same node's plain run (Run This Node, from the click to its first metric in the Metrics dock) and
a plain ``docker run --rm`` of its command (to its first output line). Reuse is off, so every run
really runs. Target (issue 13): the loop adds <= 0.3 s over the node's own run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QSettings
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from designer.app import create_app
from designer.main_window import MainWindow
from designer.run.integration import attach_run_ui

IMAGE = "pipeline-designer-test/python:1"
PIPELINE = """\
- step:
    name: prepare
    image: python:3.12-slim
    command: python3 -c "open('/valohai/outputs/rows.csv', 'w').write('a\\\\n1\\\\n')"
- step:
    name: train
    image: python:3.12-slim
    command: python3 train.py
    inputs:
      - {name: rows}
- pipeline:
    name: p
    nodes:
      - {name: prep, step: prepare, type: execution}
      - {name: train, step: train, type: execution}
    edges:
      - [prep.output.rows.csv, train.input.rows]
"""


def code(loss: float) -> str:
    return f'import json\nprint(json.dumps({{"loss": {loss}}}))\n'


def wait(app: QApplication, done: Callable[[], bool], timeout: float = 120) -> float:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("timed out")
        app.processEvents()
        QTest.qWait(2)
    return time.perf_counter()


def shown(ui: object, before: set[tuple[str, str]]) -> Callable[[], bool]:
    """A new run's train series has a point in the Metrics dock."""

    def check() -> bool:
        new = [k for k in ui.metrics.sources if k[1] == "train" and k not in before]  # type: ignore[attr-defined]
        return bool(new)

    return check


def docker_baseline(root: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            f"{root}:/w:ro",
            "-w",
            "/w",
            IMAGE,
            "python3",
            "train.py",
        ],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    proc.stdout.readline()
    took = time.perf_counter() - t0
    proc.wait()
    return took


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = create_app()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "loop"
        root.mkdir()
        (root / "valohai.yaml").write_text(PIPELINE)
        (root / "train.py").write_text(code(1.0))
        window = MainWindow(QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat))
        window.resize(1400, 900)
        window.show()
        window.files.open_path(root / "valohai.yaml", confirm=False, recover=False)
        ui = attach_run_ui(window, home=Path(tmp) / "home")
        ui.image_map = {"python:3.12-slim": IMAGE}
        ui.start_kwargs = {"network": "none", "pull": "never"}
        ui.reuse = False
        ui.run_pipeline(dialog=False)
        wait(app, lambda: not ui.controller.busy and ui.shown_run is not None)
        window.scene.select_node("train")
        ui.debug_ui.rerun.set_node("train", True)
        plain, loop, docker = [], [], []
        for i in range(args.repeat):
            docker.append(docker_baseline(root))
            before = set(ui.metrics.sources)
            t0 = time.perf_counter()
            ui.run_node("train")
            plain.append(wait(app, shown(ui, before)) - t0)
            wait(app, lambda: not ui.controller.busy)
            before = set(ui.metrics.sources)
            t0 = time.perf_counter()
            (root / "train.py").write_text(code(0.5 / (i + 1)))  # the save
            loop.append(wait(app, shown(ui, before)) - t0)
            wait(app, lambda: not ui.controller.busy)
        ui.debug_ui.shutdown()
        ui.shutdown()
        window.close()
    med = statistics.median
    print(f"docker run --rm, to the first output line : {med(docker):.3f} s (median of {args.repeat})")
    print(f"Run This Node, to the first metric on screen: {med(plain):.3f} s")
    print(f"save -> re-run, to the first metric on screen: {med(loop):.3f} s")
    added = med(loop) - med(plain)
    verdict = "ok" if added <= 0.3 else "MISSED"
    print(f"the loop adds {added:+.3f} s over the node's own run (target <= 0.3 s): {verdict}")
    loop_ratio, runner_ratio = med(loop) / med(plain), med(plain) / med(docker)
    print(f"ratios: loop / plain run {loop_ratio:.2f}, plain run / docker run {runner_ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
