"""Nodes on a real Ray cluster: where they land, the GPUs they see, what Ray can never run,
fan-outs over both workers and outputs that cross from one worker to another."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from runner.hosts.registry import HostConfig
from tests.runner.ray.conftest import worker_of
from tests.support import ray_runs
from tests.support.images import BUSYBOX
from tests.support.ray_cluster import RayTestCluster

pytestmark = [pytest.mark.ray, pytest.mark.docker, pytest.mark.sshd]


def test_a_two_gpu_node_lands_on_the_two_gpu_worker_and_sees_exactly_its_ids(
    ray_cluster: RayTestCluster, ray_host: HostConfig, project: Callable[..., Path]
) -> None:
    path = project(
        f"""
        - step:
            name: big
            image: {BUSYBOX}
            command:
              - echo "gpus=$NVIDIA_VISIBLE_DEVICES"
              - sleep 1.5
            resources:
              devices:
                nvidia.com/gpu: 2
        - step:
            name: small
            image: {BUSYBOX}
            command: echo "gpus=$NVIDIA_VISIBLE_DEVICES"
            resources:
              devices:
                nvidia.com/gpu: 1
        - pipeline:
            name: p
            nodes:
              - {{name: big, type: execution, step: big}}
              - {{name: small, type: execution, step: small}}
            edges: []
        """
    )
    record = ray_runs.run(path, "p", [ray_host.name])
    assert record.status == "succeeded", record.lines
    node, gpus = record.placed("big")
    assert worker_of(ray_cluster, node) == "w2" and len(gpus) == 2
    assert f"gpus={','.join(gpus)}" in record.text("big", "stdout")
    _node, small_gpus = record.placed("small")
    assert len(small_gpus) == 1 and f"gpus={small_gpus[0]}" in record.text("small", "stdout")
    # The test engines have no NVIDIA toolkit: the node says so instead of failing to start.
    assert "no NVIDIA support" in record.text("big", "runner")
    # Its system samples come from its worker, which has no nvidia-smi: the note says so.
    assert record.system["big"] and all(s.memory_bytes for s in record.system["big"])
    assert record.gpu_notes["big"].startswith("nvidia-smi is not installed on worker node ")


def test_a_request_no_node_can_satisfy_fails_at_once_with_the_reason(
    ray_host: HostConfig, project: Callable[..., Path]
) -> None:
    path = project(
        f"""
        - step:
            name: huge
            image: {BUSYBOX}
            command: echo never
            resources:
              devices:
                nvidia.com/gpu: 3
        - pipeline:
            name: p
            nodes:
              - {{name: huge, type: execution, step: huge}}
            edges: []
        """
    )
    t0 = time.monotonic()
    record = ray_runs.run(path, "p", [ray_host.name], timeout=60)
    assert record.status == "failed"
    message = record.final("huge").message
    assert "needs 3 GPU(s) but the largest worker node of the cluster has 2" in message, message
    assert "never" not in record.text("huge", "stdout") and "queued" not in record.text("huge")
    assert time.monotonic() - t0 < 30  # never left waiting on Ray (which would wait for ever)


def test_a_fan_out_of_six_spreads_over_both_workers(
    ray_cluster: RayTestCluster, ray_host: HostConfig, project: Callable[..., Path]
) -> None:
    """Each node holds its slot until the test lets it go, once all six run and each has a
    system sample: so all six are placed side by side however slow the machine is."""
    units = [f"n{i}" for i in range(6)]
    nodes = "\n".join(f"              - {{name: {unit}, type: execution, step: hold}}" for unit in units)
    path = project(
        f"""
        - step:
            name: hold
            image: {BUSYBOX}
            command:
              - echo started
              - while [ ! -e /tmp/go ]; do sleep 0.1; done
              - echo done
        - pipeline:
            name: p
            nodes:
{nodes}
            edges: []
        """
    )
    record = ray_runs.RunRecord()
    handle = ray_runs.start(path, "p", [ray_host.name], record)

    def all_running_and_sampled() -> bool:
        return all("started" in record.text(u, "stdout") and record.system.get(u) for u in units)

    try:
        assert record.wait_for(all_running_and_sampled, 150), (record.lines, record.system)
        where = {u: worker_of(ray_cluster, record.placed(u)[0]) for u in units}
    finally:
        for unit in units:  # let every node go (an unplaced one has no container: nothing to do)
            for engine in ray_cluster.engines.values():
                engine.docker("exec", f"vh-{handle.run_id}-{unit}", "touch", "/tmp/go")
    assert handle.wait(120) == "succeeded", record.lines
    assert set(where.values()) == {"w1", "w2"}, where
    assert all(record.text(u, "stdout").splitlines() == ["started", "done"] for u in units), record.lines
    # each container sampled on its worker: memory in every sample, no GPU, nothing to say
    assert all(s.memory_bytes and s.gpus == () for u in units for s in record.system[u])
    assert not any(record.gpu_notes.get(u) for u in units)


def test_outputs_of_a_node_on_one_worker_reach_its_downstream_node_on_the_other(
    ray_cluster: RayTestCluster, ray_host: HostConfig, project: Callable[..., Path]
) -> None:
    """``make`` needs 2 GPUs (only w2 has them); its three readers need one each and overlap in
    time, so with 3 GPUs in all at least one of them runs on w1."""
    readers = "\n".join(f"              - {{name: read{i}, type: execution, step: read}}" for i in range(3))
    edges = "\n".join(f"              - [make.output.data/*, read{i}.input.data]" for i in range(3))
    path = project(
        f"""
        - step:
            name: make
            image: {BUSYBOX}
            command:
              - mkdir -p /valohai/outputs/data
              - echo "made on $(hostname)" > /valohai/outputs/data/result.txt
            resources:
              devices:
                nvidia.com/gpu: 2
        - step:
            name: read
            image: {BUSYBOX}
            command:
              - cat /valohai/inputs/data/result.txt
              - sleep 3
            inputs:
              - name: data
            resources:
              devices:
                nvidia.com/gpu: 1
        - pipeline:
            name: p
            nodes:
              - {{name: make, type: execution, step: make}}
{readers}
            edges:
{edges}
        """
    )
    record = ray_runs.run(path, "p", [ray_host.name])
    assert record.status == "succeeded", record.lines
    assert worker_of(ray_cluster, record.placed("make")[0]) == "w2"
    on = {f"read{i}": worker_of(ray_cluster, record.placed(f"read{i}")[0]) for i in range(3)}
    assert "w1" in on.values(), on
    for i in range(3):
        assert "made on " in record.text(f"read{i}", "stdout")
