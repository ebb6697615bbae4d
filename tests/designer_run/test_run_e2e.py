"""The run UI with the real runner on the real Docker engine."""

from __future__ import annotations

from typing import Any

import pytest

from tests.designer_run.conftest import containers_of

pytestmark = [pytest.mark.docker, pytest.mark.gui]


def _wait_finished(qtbot: Any, ui: Any, timeout: int = 120_000) -> Any:
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=timeout) as blocker:
        pass
    return blocker.args[0]


def test_example_pipeline_every_node_succeeds(
    qtbot, make_run_window, example_project, python_image, docker_client, container_label
) -> None:
    ui = make_run_window(example_project, client=docker_client)
    ui.labels = container_label
    seen: list[tuple[str, str]] = []
    ui.controller.states.node_changed.connect(
        lambda n: seen.append((n, ui.controller.states.state(n).status))
    )
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=180_000) as blocker:
        assert ui.run_pipeline(params={"train.epoch_delay": 0}, dialog=False)
        assert ui.cancel_action.isEnabled() and not ui.run_action.isEnabled()
    finished = blocker.args[0]
    assert finished.status == "succeeded"
    states = {n: s.status for n, s in ui.controller.states.states().items()}
    assert states == {"preprocess": "succeeded", "train": "succeeded", "evaluate": "succeeded"}
    assert ("train", "running") in seen  # live states arrived, not just the final picture
    qtbot.waitUntil(lambda: not ui.controller.busy)
    assert ui.run_action.isEnabled() and not ui.cancel_action.isEnabled()
    # badges on the canvas, in words as well as colours
    assert {n: b.text for n, b in ui.badges.badges.items()} == {n: "succeeded" for n in states}
    assert ui.progress.value() == 3 and ui.progress.maximum() == 3
    assert ui.notifications and "succeeded" in ui.notifications[-1]
    # the runs browser lists it, with its accuracy
    assert ui.runs.summaries[0].id == finished.run_id
    assert "accuracy=" in ui.runs.tree.topLevelItem(0).text(5)
    # selecting train shows its log, metrics and outputs
    ui.window.scene.select_node("train")
    assert ui.logs.shown == (finished.run_id, "train")
    assert any(line.is_metadata for line in ui.logs.lines())
    assert (finished.run_id, "train") in ui.metrics.sources
    assert {"epoch", "loss", "accuracy"} <= set(ui.metrics.sources[(finished.run_id, "train")].columns)
    assert {r["path"] for r in ui.outputs.rows} >= {"model.npz", "model.json"}
    assert containers_of(docker_client, finished.run_id) == []
