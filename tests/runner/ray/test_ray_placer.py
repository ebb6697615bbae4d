"""Placing on a Ray cluster, as logic (no cluster): the environment rule hosts use, and what no
worker could ever run refused at once with the reason."""

from __future__ import annotations

from typing import Any

import pytest

from runner.execution.placement import NoHostError
from runner.ray.placer import ClusterPlacer


def _node(gpus: float, slots: float = 8, alive: bool = True) -> dict[str, Any]:
    return {"alive": alive, "gpus": gpus, "slots": slots, "cpus": 4.0}


def test_an_environment_the_cluster_serves_asks_for_one_gpu_when_devices_say_nothing() -> None:
    placer = ClusterPlacer("gpus", ("aws-p3",), lambda: [_node(2), _node(0)])
    assert placer.demand(0, "aws-p3").gpus == 1
    assert placer.demand(0, "cpu-env").gpus == 0 and placer.demand(0, None).gpus == 0
    assert placer.demand(2, "aws-p3").gpus == 2  # devices win
    no_gpus = ClusterPlacer("cpus", ("aws-p3",), lambda: [_node(0)])
    assert no_gpus.demand(0, "aws-p3").gpus == 0  # a cluster without GPUs runs it on a CPU


def test_a_request_larger_than_every_worker_is_refused_with_the_reason() -> None:
    placer = ClusterPlacer("gpus", (), lambda: [_node(2), _node(1), _node(4, alive=False), _node(8, slots=0)])
    placement = placer.place("small", placer.demand(2, None))
    assert placement.host == "gpus" and placer.demand_of("small").gpus == 2
    reason = r"needs 3 GPU\(s\) but the largest worker node of the cluster has 2 \(2 worker node\(s\)\)"
    with pytest.raises(NoHostError, match=reason):
        placer.place("big", placer.demand(3, None))  # the dead node and the one without slots do not count
