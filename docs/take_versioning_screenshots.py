"""Screenshots of what the designer says about what happened.

``python docs/take_versioning_screenshots.py [OUT_DIR]``:

Runs ``examples/valohai.yaml`` twice on the local Docker engine (evaluate.py edited in between) in
a throw-away data folder, and saves versioning-inspector.png (the Inspector saying which rule
reused train and re-ran evaluate), versioning-compare-code.png (Compare's code tab with the diff)
and versioning-lineage.png (the Inputs/Outputs lineage of train: its input back to the data file,
its model consumed by both runs' evaluate).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PIPELINE_DESIGNER_IMAGE_MAP", "python:3.12-slim=pipeline-designer-test/python:1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs"))

from PySide6.QtTest import QTest  # noqa: E402
from take_run_screenshots import example_window, run_and_wait  # noqa: E402

from designer.app import create_app  # noqa: E402

PARAMS = {"train.epoch_delay": 0, "train.epochs": 10}


def main(out_dir: Path) -> int:
    app = create_app()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        window, ui = example_window(work, 1500, 900)
        run_and_wait(app, ui, PARAMS)
        first = ui.shown_run
        evaluate = work / "example" / "evaluate.py"
        evaluate.write_text(
            evaluate.read_text().replace("def main", "# the report shows the confusion matrix\ndef main", 1)
        )
        run_and_wait(app, ui, PARAMS)
        second = ui.shown_run
        window.inspector_dock.raise_()
        window.scene.select_node("evaluate")
        QTest.qWait(300)
        window.grab().save(str(out_dir / "versioning-inspector.png"))
        ui.compare_runs(str(first), str(second))
        dialog = ui.compare_dialog
        dialog.tabs.setCurrentWidget(dialog.code)
        dialog.resize(1000, 520)
        QTest.qWait(300)
        dialog.grab().save(str(out_dir / "versioning-compare-code.png"))
        dialog.close()
        lineage = ui.versioning_ui.show_lineage(str(second), "train")
        QTest.qWait(300)
        lineage.grab().save(str(out_dir / "versioning-lineage.png"))
        lineage.close()
        ui.shutdown()
        window.close()
    print(f"wrote versioning-*.png to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"))
