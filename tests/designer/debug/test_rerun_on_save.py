"""Re-run on save, walked in the designer on the real engine: saving the node's code re-runs it
once per burst of saves, its new metric reaches the Metrics dock, and a newer save cancels a
re-run still going."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.yaml_texts import ROWS_PIPELINE

pytestmark = [pytest.mark.docker, pytest.mark.gui]

PIPELINE = (
    """\
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
"""
    + ROWS_PIPELINE
)


def train(loss: float, sleep: float = 0) -> str:
    return f'import json, time\ntime.sleep({sleep})\nprint(json.dumps({{"loss": {loss}}}))\n'


def _losses(ui: Any, run_id: str) -> list[float]:
    execution = ui.history.execution(run_id, "train")
    return [r["loss"] for r in ui.history.metadata(execution["id"])] if execution else []


def test_saving_the_code_reruns_the_node(qtbot: Any, window_ui: Any, tmp_path: Path) -> None:
    ui = window_ui
    root = tmp_path / "saves"
    root.mkdir()
    (root / "valohai.yaml").write_text(PIPELINE)
    (root / "train.py").write_text(train(1.0))
    assert ui.window.files.open_path(root / "valohai.yaml", confirm=False)
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=120_000) as first:
        assert ui.run_pipeline(dialog=False)
    assert first.args[0].status == "succeeded"
    rerun = ui.debug_ui.rerun
    ui.window.scene.select_node("train")
    ui.debug_ui.rerun_action.trigger()
    assert ui.debug_ui.rerun_action.isChecked() and rerun.nodes == {"train"}

    starts: list[Any] = []
    rerun.rerun_started.connect(lambda nodes, files: starts.append((nodes, files)))
    # train's last execution recorded what it read: a file it never read does not re-run it.
    reads = ui.history.execution(first.args[0].run_id, "train")["reads"]
    assert reads["complete"] and "f:train.py" in reads["dependencies"], reads
    (root / "notes.md").write_text("ideas\n")
    qtbot.wait(600)
    assert starts == [] and not ui.controller.busy
    # A burst: an editor writing a backup, the file, then touching it again.
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=120_000) as second:
        (root / "train.py~").write_text(train(1.0))
        (root / "train.py").write_text(train(0.5))
        (root / "train.py").write_text(train(0.25))
    assert second.args[0].status == "succeeded"
    assert starts == [(["train"], ["train.py"])]  # one re-run for the burst; backups do not count
    assert _losses(ui, second.args[0].run_id) == [0.25]
    assert ui.shown_run == second.args[0].run_id
    assert (second.args[0].run_id, "train") in ui.metrics.sources  # the Metrics dock follows the newest
    # Only train ran again: prep's outputs came from the earlier run.
    assert {e["node"] for e in ui.history.executions(second.args[0].run_id)} == {"train"}

    # A newer save while the re-run still runs: that one is cancelled, the newest code runs.
    finished: list[Any] = []
    ui.controller.events.run_finished.connect(finished.append)
    (root / "train.py").write_text(train(0.2, sleep=60))
    qtbot.waitUntil(lambda: ui.controller.states.state("train") is not None
                    and ui.controller.states.state("train").status == "running", timeout=60_000)  # fmt: skip
    qtbot.wait(200)  # the re-run is under way
    (root / "train.py").write_text(train(0.1))
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=120_000)
    assert [f.status for f in finished] == ["cancelled", "succeeded"]
    assert _losses(ui, finished[1].run_id) == [0.1]
    assert rerun.reruns == 3
