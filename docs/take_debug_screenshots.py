"""Screenshots of debugging a node, from a real run on the local engine:
``python docs/take_debug_screenshots.py [OUT_DIR]`` (needs the test image ``make images`` builds).

A two-node pipeline whose ``train`` fails in ``model.py``: the Failure dock with its traceback,
the Terminal dock with a shell in the failed node's rebuilt container, the Debugger dock while
``train`` waits for a debugger (Debug This Node), then for PyCharm (Attach with PyCharm: the first
time it fetches pydevd-pycharm from the package index), and ``train`` paused before it starts
with a parameter being changed (Pause Before This Node).
"""

from __future__ import annotations

import os
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from designer.app import create_app  # noqa: E402
from designer.main_window import MainWindow  # noqa: E402
from designer.run.integration import attach_run_ui  # noqa: E402
from designer.theme import apply_theme  # noqa: E402

IMAGE = "pipeline-designer-test/python:1"
FILES = {
    "valohai.yaml": """\
        - step:
            name: prepare
            image: python:3.12-slim
            command: python3 prepare.py
        - step:
            name: train
            image: python:3.12-slim
            command: python3 train.py {parameters}
            parameters:
              - {name: epochs, type: integer, default: 3}
              - {name: learning_rate, type: float, default: 0.01}
            inputs:
              - {name: rows}
        - pipeline:
            name: training
            nodes:
              - {name: prepare, step: prepare, type: execution}
              - {name: train, step: train, type: execution}
            edges:
              - [prepare.output.rows.csv, train.input.rows]
        """,
    "prepare.py": """\
        with open("/valohai/outputs/rows.csv", "w") as out:
            out.write("age,income\\n31,52000\\n45,61000\\n")
        """,
    "train.py": """\
        import json

        from model import fit


        def main():
            rows = open("/valohai/inputs/rows/rows.csv").read().splitlines()
            print(json.dumps({"rows": len(rows) - 1}))
            fit(rows, width=3)


        main()
        """,
    "model.py": """\
        def fit(rows, width):
            widths = [len(row.split(",")) for row in rows]
            if widths[0] != width:
                detail = f"rows have {widths[0]} columns, the model wants {width}"
                raise ValueError(f"{detail}:\\n  header {rows[0]!r}")
        """,
}


def wait(app: QApplication, done: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the screenshot scene did not come up in time")
        app.processEvents()
        QTest.qWait(50)


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    app = create_app()
    apply_theme(app)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "churn-model"
        work.mkdir()
        for name, text in FILES.items():
            (work / name).write_text(textwrap.dedent(text))
        window = MainWindow(QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat))
        window.resize(1440, 900)
        window.show()
        window.files.open_path(work / "valohai.yaml", confirm=False, recover=False)
        ui = attach_run_ui(window, home=Path(tmp) / "home")
        ui.image_map = {"python:3.12-slim": IMAGE}
        ui.start_kwargs = {"pull": "never"}
        window.view.fit()
        finished: list[object] = []
        ui.controller.events.run_finished.connect(finished.append)
        ui.run_pipeline(dialog=False)
        wait(app, lambda: bool(finished) and not ui.controller.busy)
        dbg = ui.debug_ui
        window.scene.select_node("train")
        wait(app, lambda: dbg.failure.failure is not None)
        ui.metrics_dock.hide()  # the debug docks get the window's whole width
        window.resizeDocks([dbg.failure_dock], [400], Qt.Orientation.Vertical)
        QTest.qWait(200)
        window.grab().save(str(out / "debug-failure.png"))

        tab = dbg.open_shell("train")
        wait(app, lambda: tab.status == "open")
        wait(app, lambda: tab.terminal.text().rstrip().endswith("#"))
        command = "ls -l /valohai/inputs/rows; cat /valohai/config/parameters.json; python3 train.py"
        QTest.keyClicks(tab.terminal, command)
        QTest.keyClick(tab.terminal, Qt.Key.Key_Return)
        wait(app, lambda: "ValueError" in tab.terminal.text())
        QTest.qWait(300)
        window.grab().save(str(out / "debug-terminal.png"))

        listening: list[object] = []
        ui.controller.events.debuggers_listening.connect(listening.append)
        dbg.debug_node("train")
        wait(app, lambda: bool(listening))
        QTest.qWait(300)
        window.grab().save(str(out / "debug-attach.png"))

        (work / ".idea").mkdir()  # the folder is a PyCharm project
        dbg.ide.launch = lambda argv: False  # nothing is opened from a screenshot script
        listening.clear()
        dbg.prompt.pycharm.click()  # the debugpy run stops, the node runs again for PyCharm
        wait(app, lambda: bool(listening) and listening[-1][-1].debugger == "pycharm")  # type: ignore[attr-defined]
        QTest.qWait(300)
        window.grab().save(str(out / "debug-pycharm.png"))
        ui.cancel()
        wait(app, lambda: not ui.controller.busy)

        window.scene.select_node("train")
        dbg.pause_action.trigger()
        ui.run_pipeline(dialog=False)
        wait(app, lambda: dbg.prompt.headline.text() == "train is paused before it starts")
        epochs = dbg.prompt.parameters.fields["epochs"]
        epochs.setFocus()
        epochs.selectAll()
        QTest.keyClicks(epochs, "10")
        QTest.qWait(300)
        window.grab().save(str(out / "debug-paused-parameters.png"))
        ui.cancel()
        wait(app, lambda: not ui.controller.busy)
        ui.metrics_dock.show()
        dbg.shutdown()
        ui.shutdown()
        window.close()
    names = ("debug-failure", "debug-terminal", "debug-attach", "debug-pycharm", "debug-paused-parameters")
    print(f"wrote {', '.join(n + '.png' for n in names)} to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
