"""The designer on a real Ray cluster: the Run dialog's target is the cluster, and the live view
(the node's badge, its log, its metrics) follows the node while it runs on a worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runner.execution.spec import container_name
from runner.hosts.registry import HostConfig
from tests.runner.ray.conftest import worker_of
from tests.support.images import BUSYBOX
from tests.support.ray_cluster import RayTestCluster
from tests.support.ray_runs import PLACED

pytestmark = [pytest.mark.ray, pytest.mark.docker, pytest.mark.sshd, pytest.mark.gui]

HELD = f"""\
- step:
    name: hello
    image: {BUSYBOX}
    command:
      - echo started
      - 'echo "{{\\"loss\\": 0.5}}"'
      - while [ ! -e /tmp/go ]; do sleep 0.1; done
      - echo bye
- pipeline:
    name: p
    nodes:
      - {{name: hello, type: execution, step: hello}}
    edges: []
"""


def _log(ui: Any) -> str:
    return "\n".join(line.text for log in ui.logs.logs.values() for line in log)


def test_a_run_from_the_designer_on_the_cluster_is_followed_live(
    ray_cluster: RayTestCluster, ray_host: HostConfig, make_run_window: Any, qtbot: Any, tmp_path: Path
) -> None:
    from designer.run.run_dialog import RunDialog

    path = tmp_path / "project" / "valohai.yaml"
    path.parent.mkdir()
    path.write_text(HELD)
    ui = make_run_window(path)
    dialog = RunDialog("p", [], ui.window.settings)
    qtbot.addWidget(dialog)
    dialog.target.setCurrentText(ray_host.name)
    dialog.accept()
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=180_000) as blocker:
        assert ui.run_pipeline(dialog=False)
        qtbot.waitUntil(lambda: "started" in _log(ui), timeout=120_000)
        states = ui.controller.states.states()
        assert states["hello"].status == "running" and "running on worker node" in _log(ui)
        run_id = ui.controller.states.run_id
        qtbot.waitUntil(lambda: (run_id, "hello") in ui.metrics.sources, timeout=30_000)  # live metrics
        assert "loss" in ui.metrics.sources[(run_id, "hello")].columns
        for engine in ray_cluster.engines.values():
            engine.docker("exec", container_name(run_id, "hello"), "touch", "/tmp/go")
    assert ui.warnings == []
    finished = blocker.args[0]
    assert finished.status == "succeeded", ui.history.executions(finished.run_id)
    assert ui.controller.states.states()["hello"].status == "succeeded"
    assert "bye" in _log(ui)
    execution = ui.history.execution(finished.run_id, "hello")
    assert execution is not None and execution["host"] == ray_host.name
    placed = PLACED.search(_log(ui))
    assert placed and worker_of(ray_cluster, placed.group(1)) in ("w1", "w2"), _log(ui)
