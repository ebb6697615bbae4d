"""The run UI with the real runner on the real Docker engine."""

from __future__ import annotations

import statistics
import time
from typing import Any

import pytest

from runner.api import plan_run

pytestmark = [pytest.mark.docker, pytest.mark.gui]


def containers_of(docker_client: Any, run_id: str) -> list[Any]:
    return docker_client.containers.list(all=True, filters={"label": f"pipeline-designer.run-id={run_id}"})


def _wait_finished(qtbot: Any, ui: Any, timeout: int = 120_000) -> Any:
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=timeout) as blocker:
        pass
    return blocker.args[0]


def test_example_pipeline_every_node_succeeds(
    qtbot, make_run_window, example_project, python_image, docker_client, container_label
) -> None:
    ui = make_run_window(example_project, client=docker_client)
    ui.labels = container_label
    ui.window.scene.select_node("preprocess")
    outputs_while_running: list[set[str]] = []

    def note_outputs(_batch: object) -> None:  # connected after the run UI's own slot
        if not ui.controller.states.state("train").terminal:
            outputs_while_running.append({r["path"] for r in ui.outputs.rows})

    ui.controller.events.states_changed.connect(note_outputs)
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
    # preprocess's outputs were listed as soon as it finished, while train was still to come
    assert {"train.csv", "test.csv"} <= outputs_while_running[-1]
    qtbot.waitUntil(lambda: not ui.controller.busy)
    assert ui.run_action.isEnabled() and not ui.cancel_action.isEnabled()
    # badges on the canvas, in words as well as colours
    assert {n: b.text for n, b in ui.badges.badges.items()} == {n: "succeeded" for n in states}
    assert ui.progress.value() == 3 and ui.progress.maximum() == 3
    assert ui.notifications and "succeeded" in ui.notifications[-1]
    # the runs browser lists it, with its accuracy
    assert ui.runs.summaries[0].id == finished.run_id
    accuracy = ui.runs.model.headers().index("accuracy")
    assert float(ui.runs.proxy.index(0, accuracy).data()) > 0
    # selecting train shows its log, metrics and outputs
    ui.window.scene.select_node("train")
    assert ui.logs.shown == (finished.run_id, "train")
    assert any(line.is_metadata for line in ui.logs.lines())
    assert (finished.run_id, "train") in ui.metrics.sources
    assert {"epoch", "loss", "accuracy"} <= set(ui.metrics.sources[(finished.run_id, "train")].columns)
    assert {r["path"] for r in ui.outputs.rows} >= {"model.npz", "model.json"}
    assert containers_of(docker_client, finished.run_id) == []


METRICS_YAML = """
- step:
    name: trainer
    image: python:3.12-slim
    command: python train.py
- step:
    name: report
    image: busybox
    command: echo report
- pipeline:
    name: live
    nodes:
      - {name: trainer, type: execution, step: trainer}
      - {name: report, type: execution, step: report}
    edges: []
"""
TRAIN_PY = """
import json, time
for i in range(30):
    print(json.dumps({"step": i, "loss": 1.0 / (i + 1), "t": time.time()}), flush=True)
    time.sleep(0.1)
"""


def test_metrics_arrive_while_the_step_runs(
    qtbot, make_run_window, project, python_image, busybox_image, docker_client, container_label
) -> None:
    path = project(METRICS_YAML, **{"train.py": TRAIN_PY})
    ui = make_run_window(path, client=docker_client)
    ui.labels = container_label
    latencies: list[float] = []
    drawn = [0]

    def on_frame() -> None:  # print time -> on screen, for the points this frame drew
        now = time.time()
        for source in ui.metrics.sources.values():
            if "t" in source.columns:
                t = source.columns["t"].view()
                latencies.extend((now - t[drawn[0] :]).tolist())
                drawn[0] = len(t)

    ui.metrics.plot.frame_drawn.connect(on_frame)
    assert ui.run_pipeline(dialog=False)
    qtbot.waitUntil(lambda: ui.controller.run_id is not None and ui.shown_run is not None, timeout=30_000)

    def some_points_drawn() -> bool:
        data = ui.metrics.plot.curve_data()
        return any(len(y) >= 3 for _x, y in data.values())

    qtbot.waitUntil(some_points_drawn, timeout=30_000)
    state = ui.controller.states.state("trainer")
    assert ui.controller.busy and state is not None and state.status == "running"  # before it ends
    assert "loss" in ui.metrics.checked_keys()
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=60_000) as blocker:
        pass
    assert blocker.args[0].status == "succeeded"
    qtbot.waitUntil(lambda: max(len(y) for _x, y in ui.metrics.plot.curve_data().values()) == 30)
    assert len(latencies) == 30
    median = statistics.median(latencies)
    print(f"print-to-plot latency: median {median * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
    assert median <= 0.3


def test_cancel_stops_the_containers(
    qtbot, make_run_window, project, prompts, busybox_image, docker_client, container_label
) -> None:
    path = project(
        """
        - step:
            name: slow
            image: busybox
            command: "echo started; sleep 120"
            parameters: [{name: x, type: integer, default: 1}]
        - step:
            name: after
            image: busybox
            command: echo after {parameters}
            parameters: [{name: x, type: integer, default: 2}]
        - pipeline:
            name: p
            nodes:
              - {name: slow, type: execution, step: slow}
              - {name: after, type: execution, step: after}
            edges:
              - [slow.parameter.x, after.parameter.x]
        """
    )
    ui = make_run_window(path, client=docker_client)
    ui.labels = container_label
    started = [False]
    ui.controller.events.logs_arrived.connect(
        lambda lines: started.__setitem__(0, started[0] or any(x.text == "started" for x in lines))
    )
    assert ui.run_pipeline(dialog=False), prompts.warnings
    qtbot.waitUntil(lambda: started[0], timeout=30_000)
    run_id = ui.controller.run_id
    assert containers_of(docker_client, run_id)  # it is really running
    t0 = time.monotonic()
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=30_000) as blocker:
        ui.cancel_action.trigger()
    assert time.monotonic() - t0 < 15
    assert blocker.args[0].status == "cancelled"
    assert ui.controller.states.state("slow").status == "cancelled"
    assert ui.badges.badges["slow"].text == "cancelled"
    assert ui.controller.states.state("after").status in ("cancelled", "skipped")
    assert containers_of(docker_client, run_id) == []


def _finish(qtbot: Any, ui: Any, start: Any, timeout: int = 180_000) -> Any:
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=timeout) as blocker:
        assert start()
    qtbot.waitUntil(lambda: not ui.controller.busy)
    return blocker.args[0]


def test_run_this_node_uses_upstream_outputs_from_the_store(
    qtbot, make_run_window, example_project, prompts, python_image, docker_client, container_label
) -> None:
    ui = make_run_window(example_project, client=docker_client)
    ui.labels = container_label
    # nothing upstream yet: the user is asked, and "no" starts nothing
    prompts.answers.append(False)
    assert not ui.run_node("evaluate")
    assert "preprocess" in prompts.asked[-1] and "train" in prompts.asked[-1]
    assert not ui.controller.busy
    # "yes" runs the upstream and the node
    prompts.answers.append(True)
    first = _finish(qtbot, ui, lambda: ui.run_node("evaluate"))
    assert first.status == "succeeded"
    assert set(first.node_statuses) == {"preprocess", "train", "evaluate"}
    train = ui.history.execution(first.run_id, "train")
    model_sha = {o["path"]: o["sha256"] for o in ui.history.outputs(train["id"])}
    # now only evaluate runs, fed from the store (no reuse, so it really executes)
    ui.reuse = False
    second = _finish(qtbot, ui, lambda: ui.run_node("evaluate"))
    assert second.status == "succeeded"
    assert second.node_statuses == {"evaluate": "succeeded"}
    evaluate = ui.history.execution(second.run_id, "evaluate")
    got = {f["name"]: f["sha256"] for f in evaluate["inputs"]["model"]}
    assert got == {name: model_sha[name] for name in got} and got
    train_accuracy = ui.history.metadata(train["id"])[-1]["accuracy"]
    assert evaluate["parameters"]["train_accuracy"] == train_accuracy
    assert containers_of(docker_client, second.run_id) == []
    # with reuse on, running it once more reuses the execution
    ui.reuse = True
    third = _finish(qtbot, ui, lambda: ui.run_node("evaluate"))
    assert third.node_statuses == {"evaluate": "reused"}
    assert ui.badges.badges["evaluate"].text == "reused"
    # the tweak loop: change a parameter in the editor (unsaved), Run this node: only it runs, anew
    text = ui.window.document.text
    assert "        default: 0.7\n" in text
    assert (
        ui.window.editor.apply_text(text.replace("        default: 0.7\n", "        default: 0.5\n")) is None
    )
    tweaked = _finish(qtbot, ui, lambda: ui.run_node("evaluate"))
    assert tweaked.node_statuses == {"evaluate": "succeeded"}
    assert ui.history.execution(tweaked.run_id, "evaluate")["parameters"]["min_accuracy"] == 0.5
    # Run from here: train and what follows; preprocess comes from the store
    downstream = _finish(qtbot, ui, lambda: ui.run_from_here("train"))
    assert set(ui.controller.last_plan.nodes) == {"train", "evaluate"}
    assert downstream.node_statuses == {"train": "reused", "evaluate": "reused"}
    # the runs browser: showing the first run re-colours the canvas and loads its log and metrics
    ui.runs.refresh()
    assert [s.id for s in ui.runs.summaries][-1] == first.run_id
    ui.runs.run_selected.emit(first.run_id)
    assert ui.controller.states.run_id == first.run_id
    assert {n: b.text for n, b in ui.badges.badges.items()} == dict.fromkeys(first.node_statuses, "succeeded")
    ui.window.scene.select_node("train")
    assert ui.logs.shown == (first.run_id, "train")
    assert sum(line.is_metadata for line in ui.logs.lines()) == 25  # from the stored log file
    assert (first.run_id, "train") in ui.metrics.sources
    assert {r["path"] for r in ui.outputs.rows} >= {"model.npz", "model.json"}
    # compare the first run with the tweaked one: min_accuracy differs
    ui.compare_runs(first.run_id, tweaked.run_id)
    assert ("evaluate", "min_accuracy", 0.7, 0.5) in ui.compare_dialog.diff
    assert {s.run_id for s in ui.metrics.checked_sources()} >= {first.run_id, tweaked.run_id}


def test_failing_node_shows_failed_and_its_log(
    qtbot, make_run_window, project, busybox_image, docker_client, container_label
) -> None:
    path = project(
        """
        - step:
            name: broken
            image: busybox
            command: "echo working; echo something went wrong >&2; exit 3"
            parameters: [{name: x, type: integer, default: 1}]
        - step:
            name: later
            image: busybox
            command: echo later {parameters}
            parameters: [{name: x, type: integer, default: 2}]
        - pipeline:
            name: p
            nodes:
              - {name: broken, type: execution, step: broken}
              - {name: later, type: execution, step: later}
            edges:
              - [broken.parameter.x, later.parameter.x]
        """
    )
    ui = make_run_window(path, client=docker_client)
    ui.labels = container_label
    done = _finish(qtbot, ui, lambda: ui.run_pipeline(dialog=False))
    assert done.status == "failed"
    state = ui.controller.states.state("broken")
    assert state.status == "failed" and state.exit_code == 3
    assert ui.badges.badges["broken"].text == "failed (exit 3)"
    assert ui.controller.states.state("later").status == "skipped"
    ui.window.scene.select_node("broken")
    lines = ui.logs.lines()
    assert ("stderr", "something went wrong") in [(x.stream, x.text) for x in lines]
    assert ("stdout", "working") in [(x.stream, x.text) for x in lines]
    assert "something went wrong" in ui.logs.view.toPlainText()
    assert ui.rerun_action.isEnabled()
    again = _finish(qtbot, ui, ui.rerun_failed)
    assert set(ui.controller.last_plan.nodes) == {"broken", "later"}
    assert again.node_statuses == {"broken": "failed", "later": "skipped"}


def test_run_dialog_parameters_reach_the_run_and_are_remembered(
    qtbot, make_run_window, project, busybox_image, docker_client, container_label
) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from designer.run.run_dialog import RunDialog

    path = project(
        """
        - step:
            name: greet
            image: busybox
            command: echo {parameters}
            parameters: [{name: who, type: string, default: world}]
        - pipeline:
            name: p
            nodes: [{name: greet, type: execution, step: greet}]
            edges: []
            parameters:
              - name: who
                targets: [greet.parameter.who]
                default: world
        """
    )
    ui = make_run_window(path, client=docker_client)
    ui.labels = container_label

    def fill_and_accept() -> None:
        dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, RunDialog) and w.isVisible())
        dialog.edits["who"].setText("designer")
        dialog.accept()

    QTimer.singleShot(200, fill_and_accept)
    done = _finish(qtbot, ui, ui.run_pipeline)
    assert done.status == "succeeded"
    assert ui.history.execution(done.run_id, "greet")["parameters"]["who"] == "designer"
    ui.window.scene.select_node("greet")
    assert any("designer" in line.text for line in ui.logs.lines())
    assert ui.window.settings.value("run/params/p") == '{"who": "designer"}'


def test_closing_the_window_mid_run_stops_it(
    qtbot, make_run_window, project, busybox_image, docker_client, container_label
) -> None:
    path = project(
        """
        - step: {name: slow, image: busybox, command: "echo started; sleep 120"}
        """
    )
    ui = make_run_window(path, client=docker_client)
    ui.labels = container_label
    ui.window.scene.clearSelection()
    plan_nodes: list[str] = []
    ui.controller.events.run_started.connect(lambda _r, nodes: plan_nodes.extend(nodes))
    assert ui._start(plan_run(path, step="slow"))
    qtbot.waitUntil(
        lambda: any(line.text == "started" for log in ui.logs.logs.values() for line in log), timeout=30_000
    )
    run_id = ui.controller.run_id
    t0 = time.monotonic()
    ui.window.close()
    qtbot.waitUntil(lambda: ui._closed, timeout=5_000)
    assert not ui.controller.busy and time.monotonic() - t0 < 20
    assert containers_of(docker_client, run_id) == []
    assert plan_nodes == ["slow"]
