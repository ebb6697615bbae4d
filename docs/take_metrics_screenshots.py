"""Render docs/screenshots/metrics-per-key.png (one small plot per key, two runs, a test accuracy
printed once shown as a value) and metrics-dark.png (dark theme: loss and accuracy overlaid on two
axes, legend outside), offscreen, from two runs written into a real store and read back through
its per-key index.

Run from the repository root: ``.venv/bin/python docs/take_metrics_screenshots.py``.
"""

from __future__ import annotations

import math
import os
import random
import sys
import tempfile
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"
BATCHES, PER_EPOCH = 6000, 200


def _records(lr: float, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(BATCHES):
        progress = i / BATCHES
        loss = 2.3 * math.exp(-5 * progress * (lr / 0.1) ** 0.3) + 0.12 + rng.gauss(0, 0.06)
        accuracy = min(
            0.995, 0.1 + 0.88 * (1 - math.exp(-6 * progress * (lr / 0.1) ** 0.3)) + rng.gauss(0, 0.01)
        )
        rate = lr * min(1.0, (i + 1) / 300) * 0.5 * (1 + math.cos(math.pi * progress))
        out.append(
            {"epoch": i // PER_EPOCH + 1, "loss": round(loss, 5), "accuracy": round(accuracy, 5), "lr": rate}
        )
    return out


def _store(home: Path) -> None:
    from runner.api import open_store

    _home, store, _a = open_store(home)
    for run, lr, seed, test in (
        ("20260301-101500-a1b2c3", 0.1, 1, 0.9412),
        ("20260301-113000-d4e5f6", 0.03, 2, 0.9127),
    ):
        store.create_run(run, pipeline="train", started=1.0, status="succeeded")
        for node, records in (("train", _records(lr, seed)), ("evaluate", [{"test_accuracy": test}])):
            execution = f"{run}-{node}"
            store.upsert_execution(execution, run_id=run, node=node, status="running")
            store.add_metadata_batch(execution, [(i, 1.0, r) for i, r in enumerate(records)])
            store.upsert_execution(execution, status="succeeded")
    store.close()


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from designer.app import create_app
    from designer.bridge.history import RunHistory
    from designer.run.metrics_dock import MetricsPanel
    from designer.run.metrics_toolbar import PER_KEY
    from designer.run.plot_style import LEGEND_OUTSIDE
    from designer.theme import apply_theme

    app = create_app()
    apply_theme(app, dark=False)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        _store(home)
        history = RunHistory(home)
        shots = []
        for dark in (False, True):
            apply_theme(app, dark=dark)
            panel = MetricsPanel()
            panel.resize(1280, 560 if not dark else 480)
            for run in [r.id for r in history.runs()][::-1]:
                for e in history.executions(run):
                    panel.load_stored(run, e["node"], history.metric_series(e["id"]))
            panel.show()
            if dark:
                panel.show_only({(r, "train") for r, _n in panel.sources})
                panel.set_keys(["accuracy", "loss"])
                panel.set_right_axis("accuracy", True)
                panel.smooth_slider.setValue(80)
                panel.set_legend(LEGEND_OUTSIDE)
            else:
                panel.set_keys(["accuracy", "loss", "lr", "test_accuracy"])
                panel.smooth_slider.setValue(60)
                panel.set_layout(PER_KEY)
            for _ in range(30):
                app.processEvents()
            panel.plot.refresh()
            panel.per_key.refresh()
            app.processEvents()
            name = "metrics-dark.png" if dark else "metrics-per-key.png"
            panel.grab().save(str(OUT / name))
            shots.append(name)
            panel.shutdown()
            panel.close()
            QApplication.processEvents()
        print("wrote", ", ".join(shots))
    return 0


if __name__ == "__main__":
    sys.exit(main())
