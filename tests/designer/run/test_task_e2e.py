"""Issue 7 in the designer with the real runner on the real Docker engine: require-approval
answered on the node (Approve lets the run finish, Reject fails the node and skips what
follows), a 3×2 grid task ("6/6", six curves, ranked) and a deployment node's URL (its
container goes when the endpoints are stopped and when the window closes)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt

pytestmark = [pytest.mark.docker, pytest.mark.gui]

GATED_YAML = """
- step:
    name: first
    image: busybox
    command: echo one > /valohai/outputs/a.txt
- step:
    name: gate
    image: busybox
    command: cp /valohai/inputs/data/a.txt /valohai/outputs/b.txt
    inputs: [{name: data}]
- step:
    name: after
    image: busybox
    command: cat /valohai/inputs/data/b.txt
    inputs: [{name: data}]
- pipeline:
    name: gated
    nodes:
      - {name: first, type: execution, step: first}
      - name: gate
        type: execution
        step: gate
        actions:
          - {when: node-starting, then: require-approval}
      - {name: after, type: execution, step: after}
    edges:
      - [first.output.a.txt, gate.input.data]
      - [gate.output.b.txt, after.input.data]
"""

GRID_YAML = """
- step:
    name: train
    image: python:3.12-slim
    command: python train.py {parameters}
    parameters:
      - {name: lr, type: float, default: 0.1}
      - {name: depth, type: integer, default: 2}
- task:
    name: grid
    step: train
    type: grid_search
    parameters:
      - {name: lr, style: multiple, rules: {items: [0.1, 0.2, 0.3]}}
      - {name: depth, style: multiple, rules: {items: [2, 3]}}
- pipeline:
    name: sweep
    nodes:
      - {name: train, type: task, task: grid}
    edges: []
"""
GRID_TRAIN = """
import argparse, json
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float)
p.add_argument("--depth", type=int)
a = p.parse_args()
for epoch in (1, 2, 3):
    print(json.dumps({"epoch": epoch, "accuracy": (a.lr + a.depth / 100) * epoch / 3}), flush=True)
"""

DEPLOY_YAML = """
- step:
    name: train
    image: python:3.12-slim
    command: python train.py
- endpoint:
    name: predict
    image: python:3.12-slim
    server-command: python serve.py
    files:
      - {name: model, path: model.json}
- pipeline:
    name: ship
    nodes:
      - {name: train, type: execution, step: train}
      - {name: release, type: deployment, deployment: local, endpoints: [predict]}
    edges:
      - [train.output.model.json, release.file.predict.model]
"""
DEPLOY_TRAIN = """
import json
json.dump({"w": 2.0}, open("/valohai/outputs/model.json", "w"))
"""
SERVE = """
import json, os
from http.server import BaseHTTPRequestHandler, HTTPServer

W = json.load(open("model.json"))["w"]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"w": W}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("0.0.0.0", int(os.environ["VALOHAI_PORT"])), Handler).serve_forever()
"""


def ours(docker_client: Any, container_label: dict[str, str]) -> list[Any]:
    (key, value), *_ = container_label.items()
    return docker_client.containers.list(all=True, filters={"label": f"{key}={value}"})


def click_item(qtbot: Any, view: Any, item: Any) -> None:
    view.ensureVisible(item)
    pos = view.mapFromScene(item.sceneBoundingRect().center())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(pos.x(), pos.y()))


def _gated_run(qtbot: Any, ui: Any, button: str) -> Any:
    """Start the gated pipeline, wait for gate's buttons, click one, wait for the end."""
    assert ui.run_pipeline(dialog=False)
    strips = ui.live.strips.strips
    qtbot.waitUntil(lambda: "gate" in strips and button in strips["gate"].chips, timeout=60_000)
    assert ui.controller.states.state("gate").status == "awaiting-approval"
    assert ui.controller.states.state("after").status == "queued"
    assert ui.window.scene.node_items["gate"].status == "awaiting-approval"
    assert ui.live.banner_bar.isVisible()
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=60_000) as blocker:
        click_item(qtbot, ui.window.view, strips["gate"].chips[button])
    qtbot.waitUntil(lambda: not ui.controller.busy)
    assert "gate" not in strips and not ui.live.banner_bar.isVisible()
    return blocker.args[0]


def test_require_approval_approved_on_the_node(
    qtbot, make_run_window, project, prompts, busybox_image, docker_client, container_label
) -> None:
    ui = make_run_window(project(GATED_YAML), client=docker_client)
    ui.labels = container_label
    finished = _gated_run(qtbot, ui, "approve")
    assert finished.status == "succeeded", prompts.warnings
    assert {n: s.status for n, s in ui.controller.states.states().items()} == {
        "first": "succeeded",
        "gate": "succeeded",
        "after": "succeeded",
    }
    assert prompts.warnings == []
    assert ours(docker_client, container_label) == []


def test_require_approval_rejected_on_the_node(
    qtbot, make_run_window, project, prompts, busybox_image, docker_client, container_label
) -> None:
    ui = make_run_window(project(GATED_YAML), client=docker_client)
    ui.labels = container_label
    finished = _gated_run(qtbot, ui, "reject")
    assert finished.status == "failed"
    states = ui.controller.states
    assert states.state("first").status == "succeeded"
    assert states.state("gate").status == "failed"
    assert states.state("after").status == "skipped"
    assert ui.badges.badges["after"].text == "skipped"


def test_grid_task_counter_overlay_and_ranking(
    qtbot, make_run_window, project, prompts, python_image, docker_client, container_label
) -> None:
    ui = make_run_window(project(GRID_YAML, **{"train.py": GRID_TRAIN}), client=docker_client)
    ui.labels = container_label
    ui.window.scene.select_node("train")
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=180_000) as blocker:
        assert ui.run_pipeline(dialog=False)
    assert blocker.args[0].status == "succeeded", prompts.warnings
    qtbot.waitUntil(lambda: not ui.controller.busy)
    assert ui.live.strips.strips["train"].chips["counter"].text == "6/6"
    assert ui.controller.states.state("train").status == "succeeded"
    ui.window.scene.select_node("evaluate")  # nothing, then the task again: the views follow
    ui.window.scene.select_node("train")
    metrics = ui.metrics
    assert metrics.task == (blocker.args[0].run_id, "train")
    qtbot.waitUntil(lambda: len(metrics.plot.curve_data()) == 6)
    names = sorted(c.name for c in metrics.plot._curves.values())
    assert names[0].startswith("accuracy — #1 lr=0.1 depth=2")
    assert metrics.ranking.order_shown() == [6, 5, 4, 3, 2, 1]  # lr + depth/100, highest first
    assert metrics.ranking.table.item(0, 2).text() == "lr=0.3 depth=3"
    combo = ui.logs.child_combo
    assert [combo.itemText(i) for i in range(combo.count())][:2] == ["all", "#1 lr=0.1 depth=2"]
    assert combo.count() == 7
    # the runs browser reopens the past run's executions from the store rows "train#k"
    run_id = blocker.args[0].run_id
    ui.metrics.clear()
    ui.show_run(run_id)
    ui.window.scene.select_node("train")
    assert ui.live.strips.strips["train"].chips["counter"].text == "6/6"
    qtbot.waitUntil(lambda: len(metrics.plot.curve_data()) == 6)
    assert metrics.ranking.order_shown() == [6, 5, 4, 3, 2, 1]
    ui.logs.pick_execution(6)
    assert ui.logs.shown == (run_id, "train#6")
    assert any('"epoch": 3' in line.text for line in ui.logs.lines())
    assert ours(docker_client, container_label) == []


def test_deployment_url_on_the_node_and_the_container_goes_with_the_window(
    qtbot, make_run_window, project, prompts, python_image, docker_client, container_label
) -> None:
    path = project(DEPLOY_YAML, **{"train.py": DEPLOY_TRAIN, "serve.py": SERVE})
    ui = make_run_window(path, client=docker_client)
    ui.labels = container_label

    def deploy() -> str:
        with qtbot.waitSignal(ui.controller.events.run_finished, timeout=180_000) as blocker:
            assert ui.run_pipeline(dialog=False)
        assert blocker.args[0].status == "succeeded", prompts.warnings
        qtbot.waitUntil(lambda: not ui.controller.busy)
        chip = ui.live.strips.strips["release"].chips["url"]
        assert chip.text.startswith("http://127.0.0.1:") and chip.on_click is not None
        return chip.text

    url = deploy()
    with urllib.request.urlopen(url, timeout=10) as response:
        assert json.loads(response.read()) == {"w": 2.0}  # served from the model trained upstream
    assert ui.live.stop_endpoints_action.isEnabled()
    assert len(ours(docker_client, container_label)) == 1
    ui.live.stop_endpoints_action.trigger()
    qtbot.waitUntil(lambda: "url-state" in ui.live.strips.strips["release"].chips, timeout=30_000)
    assert ui.live.strips.strips["release"].chips["url-state"].text == "stopped"
    assert ours(docker_client, container_label) == []
    assert not ui.live.stop_endpoints_action.isEnabled()
    deploy()  # again, and this time the window closes with the endpoint up
    assert len(ours(docker_client, container_label)) == 1
    ui.window.close()
    qtbot.waitUntil(lambda: ui._closed, timeout=30_000)
    assert ours(docker_client, container_label) == []
