"""The Hosts dialog on a real Ray cluster (pytest-qt, offscreen): Test lists the cluster's
nodes with their GPUs, CPUs and slots, and what is free while a run holds some of them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from designer.run.cluster_nodes import rows
from runner.hosts.registry import HostConfig
from tests.runner.ray.conftest import worker_of
from tests.support import ray_runs
from tests.support.images import BUSYBOX
from tests.support.ray_cluster import RayTestCluster

HOLD_TWO_GPUS = f"""
- step:
    name: hold
    image: {BUSYBOX}
    command:
      - echo started
      - while [ ! -e /tmp/go ]; do sleep 0.1; done
    resources:
      devices:
        nvidia.com/gpu: 2
- pipeline:
    name: p
    nodes:
      - {{name: hold, type: execution, step: hold}}
    edges: []
"""


def _nodes(dialog: Any, cluster: RayTestCluster) -> dict[str, list[str]]:
    """The nodes table by worker name (``w1``, ``w2``; ``head``), each row's cells; a node an
    earlier test killed stays listed as dead (its worker came back as a new node): left out."""
    table, out = dialog.nodes, {}
    for row in range(table.rowCount()):
        cells = [table.item(row, col).text() for col in range(table.columnCount())]
        if cells[6].startswith("DEAD"):
            continue
        node_id = cells[0].rsplit("(", 1)[1].rstrip(")")
        out["head" if cells[1] == "head" else worker_of(cluster, node_id)] = cells
    return out


def _test(dialog: Any, qtbot: Any) -> None:
    with qtbot.waitSignal(dialog.test_finished, timeout=120_000) as blocker:
        dialog.test_button.click()
    assert blocker.args == ["cluster", True], dialog.output.toPlainText()


@pytest.mark.ray
@pytest.mark.docker
@pytest.mark.sshd
@pytest.mark.gui
def test_test_shows_the_clusters_nodes_their_gpus_and_what_a_run_holds(
    ray_cluster: RayTestCluster, ray_host: HostConfig, project: Callable[..., Path], qtbot: Any
) -> None:
    from designer.run.hosts_dialog import HostsDialog

    dialog = HostsDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.select("cluster")
    assert dialog.nodes.isHidden()  # not tested yet: nothing to show
    _test(dialog, qtbot)
    assert dialog.nodes.isVisible() and "Ray cluster cluster" in dialog.nodes_label.text()
    nodes = _nodes(dialog, ray_cluster)
    assert sorted(nodes) == ["head", "w1", "w2"], nodes
    assert [nodes["w2"][c] for c in (1, 2, 3, 5)] == ["worker", "127.0.0.1", "2 / 2", "8 / 8"]
    assert [nodes["w1"][c] for c in (1, 3, 5)] == ["worker", "1 / 1", "8 / 8"]
    assert nodes["w1"][6] and nodes["w2"][6]  # each worker's own engine answered: its version
    assert nodes["head"][3:7] == ["0 / 0", "0 / 0", "", ""]  # the head runs nothing
    hosts = dialog.table
    assert [hosts.item(0, c).text() for c in (2, 3, 4)] == ["3 / 3 free", "Ray", "ok: Ray, 2 worker(s)"]

    record = ray_runs.RunRecord()
    handle = ray_runs.start(project(HOLD_TWO_GPUS), "p", [ray_host.name], record)
    try:
        assert record.wait_for(lambda: "started" in record.text("hold", "stdout"), 120), record.lines
        deadline = time.monotonic() + 30  # the head's free figures follow the workers' within a second
        while True:
            _test(dialog, qtbot)
            nodes = _nodes(dialog, ray_cluster)
            if nodes["w2"][3] == "0 / 2" or time.monotonic() > deadline:
                break
        assert (nodes["w2"][3], nodes["w2"][5], nodes["w1"][3]) == ("0 / 2", "7 / 8", "1 / 1"), nodes
        assert hosts.item(0, 2).text() == "1 / 3 free"
    finally:
        engine = ray_cluster.engines["w2"]
        engine.docker("exec", f"vh-{handle.run_id}-hold", "touch", "/tmp/go")
    assert handle.wait(60) == "succeeded", record.lines
    dialog.close()


def test_a_dead_node_is_listed_with_the_heads_reason() -> None:
    def node(**fields: Any) -> SimpleNamespace:
        base = dict(id="a" * 28, address="10.0.0.7", hostname="gpu-7", alive=True, head=False, worker=True,
                    cpus=16.0, gpus=4.0, slots=8.0, free_cpus=16.0, free_gpus=1.0, free_slots=5.0,
                    docker="27.1.1", death="")  # fmt: skip
        return SimpleNamespace(**{**base, **fields})

    report = SimpleNamespace(nodes=[
        node(id="b" * 28, hostname="gpu-8", alive=False, death="heartbeats stopped"),
        node(id="c" * 28, hostname="head", head=True, worker=False, gpus=0.0, slots=0.0, free_gpus=0.0),
        node(free_cpus=None, free_gpus=None, free_slots=None),
    ])  # fmt: skip
    assert [cells for _node, cells in rows(report)] == [
        ["gpu-7 (aaaaaaaaaaaa)", "worker", "10.0.0.7", "4", "16", "8", "27.1.1"],  # free unknown: totals
        ["gpu-8 (bbbbbbbbbbbb)", "worker", "10.0.0.7", "", "", "", "DEAD: heartbeats stopped"],
        ["head (cccccccccccc)", "head", "10.0.0.7", "0 / 0", "16 / 16", "", ""],
    ]
