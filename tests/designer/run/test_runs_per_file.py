"""Each file shows its own runs: badges, logs, metric series, progress and the Runs browser
belong to the file a run came from (issue 12). On the real engine, through the real run UI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.yaml_texts import node, pipeline, step

pytestmark = [pytest.mark.docker, pytest.mark.gui]

# Two files whose nodes share their names: what leaked from one to the other before.
_ECHO = '"echo \'{{\\"loss\\": {loss}}}\' && echo {word}"'
FILE = (
    step("prep", image="{image}", command=_ECHO)
    + step("train", image="{image}", command=_ECHO)
    + pipeline("p", node("prep"), node("train"))
)


def _file(folder: Path, word: str, loss: float) -> Path:
    folder.mkdir()
    path = folder / "valohai.yaml"
    path.write_text(FILE.format(image="busybox", loss=loss, word=word), encoding="utf-8")
    return path


def _run(qtbot: Any, ui: Any) -> Any:
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=120_000) as blocker:
        assert ui.run_pipeline(dialog=False)
    qtbot.waitUntil(lambda: not ui.controller.busy, timeout=30_000)
    return blocker.args[0]


def test_opening_another_file_shows_only_that_files_runs(
    qtbot, make_run_window, tmp_path, busybox_image, docker_client, container_label
) -> None:
    first, second = _file(tmp_path / "a", "alpha", 0.5), _file(tmp_path / "b", "beta", 0.25)
    ui = make_run_window(first, client=docker_client)
    ui.labels = container_label
    ui.runs_dock.show()
    ui.runs_dock.raise_()
    run_a = _run(qtbot, ui)
    assert run_a.status == "succeeded"
    ui.window.scene.select_node("train")
    assert (run_a.run_id, "train") in ui.metrics.sources and ui.progress.isVisible()
    assert set(ui.badges.badges) == {"prep", "train"}

    assert ui.window.files.open_path(second, confirm=False)
    qtbot.waitUntil(lambda: not ui.badges.badges, timeout=3000)  # no badge of the other file's run
    assert not ui.window.scene.node_status and not ui.controller.states.states()
    assert ui.metrics.sources == {} and not ui.progress.isVisible()
    ui.window.scene.select_node("train")
    assert ui.logs.shown is None and ui.outputs.rows == []
    assert [s.id for s in ui.runs.summaries] == []  # the Runs browser: this file's runs only
    ui.runs.filters.set_all_files(True)
    assert [s.id for s in ui.runs.summaries] == [run_a.run_id]
    assert Path(ui.runs.summaries[0].yaml_path).parent.name == "a"
    ui.runs.filters.set_all_files(False)

    run_b = _run(qtbot, ui)
    assert [s.id for s in ui.runs.summaries] == [run_b.run_id]
    ui.window.scene.select_node("train")
    assert ui.logs.shown == (run_b.run_id, "train")
    assert any("beta" in line.text for line in ui.logs.lines())
    assert set(ui.metrics.sources) == {(run_b.run_id, "prep"), (run_b.run_id, "train")}

    # Back to the first file: its own run comes back, none of the second's.
    assert ui.window.files.open_path(first, confirm=False)
    qtbot.waitUntil(lambda: set(ui.badges.badges) == {"prep", "train"}, timeout=3000)
    assert ui.controller.states.run_id == run_a.run_id
    ui.window.scene.select_node("train")
    assert ui.logs.shown == (run_a.run_id, "train")
    assert any("alpha" in line.text for line in ui.logs.lines())
    assert {run for run, _node in ui.metrics.sources} == {run_a.run_id}
    assert ui.metrics.sources[(run_a.run_id, "train")].columns
    assert [s.id for s in ui.runs.summaries] == [run_a.run_id]
    # Re-run failed looks at this file's run, which had no failures.
    assert not ui.rerun_failed()
    # Showing the other file's run from "All files" opens that file.
    ui.runs.filters.set_all_files(True)
    ui.show_run(run_b.run_id)
    assert ui.window.document.path == second.resolve()
    assert ui.controller.states.run_id == run_b.run_id
