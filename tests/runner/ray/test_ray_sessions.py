"""Runs share the head's long-lived driver (runner/ray/remote/daemon.py: Ray is joined once,
not per run): two runs at once keep to their own nodes even with the same node names, one
run's cancel leaves the other alone, and a driver that died is replaced by the next run."""

from __future__ import annotations

import os
import signal
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from runner.hosts.registry import HostConfig
from tests.runner.ray.conftest import worker_of
from tests.support import ray_runs
from tests.support.images import BUSYBOX
from tests.support.ray_cluster import RayTestCluster, drivers

pytestmark = [pytest.mark.ray, pytest.mark.docker, pytest.mark.sshd]


def _pipeline(command: str) -> str:
    return f"""
        - step:
            name: work
            image: {BUSYBOX}
            command: {command}
        - pipeline:
            name: p
            nodes:
              - {{name: work, type: execution, step: work}}
            edges: []
        """


def test_two_runs_at_once_keep_their_own_nodes_and_a_cancel_stops_only_its_own(
    ray_host: HostConfig, project: Callable[..., Path], tmp_path: Path
) -> None:
    first = project(_pipeline('echo "first run"; sleep 120'))
    second = tmp_path / "second" / "valohai.yaml"
    second.parent.mkdir()
    second.write_text(textwrap.dedent(_pipeline('echo "second run"; sleep 3; echo "second done"')))
    one, two = ray_runs.RunRecord(), ray_runs.RunRecord()
    cancelled = ray_runs.start(first, "p", [ray_host.name], one, reuse=False)
    finished = ray_runs.start(second, "p", [ray_host.name], two, reuse=False)
    assert one.wait_for(lambda: "first run" in one.text("work", "stdout"), 120), one.lines
    assert two.wait_for(lambda: "second run" in two.text("work", "stdout"), 120), two.lines
    cancelled.cancel()
    assert cancelled.wait(60) == "cancelled"
    assert finished.wait(120) == "succeeded", two.lines
    assert two.text("work", "stdout").splitlines() == ["second run", "second done"]
    assert "second" not in one.text("work", "stdout")


def test_a_driver_that_died_is_replaced_by_the_next_run(
    ray_cluster: RayTestCluster, ray_host: HostConfig, project: Callable[..., Path]
) -> None:
    path = project(_pipeline('echo "hello"'))
    assert ray_runs.run(path, "p", [ray_host.name], reuse=False).status == "succeeded"
    (pid,) = drivers(ray_cluster.address)  # the one driver the runs share, still there
    os.kill(pid, signal.SIGKILL)  # as a crash would: its socket stays behind
    deadline = time.monotonic() + 30
    while pid in drivers(ray_cluster.address) and time.monotonic() < deadline:
        time.sleep(0.1)
    record = ray_runs.run(path, "p", [ray_host.name], reuse=False)
    assert record.status == "succeeded" and "hello" in record.text("work", "stdout"), record.lines
    assert len(drivers(ray_cluster.address)) == 1 and pid not in drivers(ray_cluster.address)


def test_a_driver_lost_mid_run_fails_the_run_with_the_reason_and_its_step_stops(
    ray_cluster: RayTestCluster, ray_host: HostConfig, project: Callable[..., Path]
) -> None:
    record = ray_runs.RunRecord()
    handle = ray_runs.start(project(_pipeline('echo "started"; sleep 120')), "p", [ray_host.name], record)
    assert record.wait_for(lambda: "started" in record.text("work", "stdout"), 120), record.lines
    engine = ray_cluster.engines[worker_of(ray_cluster, record.placed("work")[0])]
    name = f"vh-{handle.run_id}-work"
    for pid in drivers(ray_cluster.address):
        os.kill(pid, signal.SIGKILL)
    assert handle.wait(90) == "failed"
    message = record.final("work").message
    assert "lost the driver on the head" in message, message
    # Ray ends a dead driver's tasks; the task's end closes the step's stdin: the step stops.
    deadline = time.monotonic() + 60
    while engine.docker("ps", "-q", "--filter", f"name=^{name}$").stdout.strip():
        assert time.monotonic() < deadline, "the step kept running after its driver died"
        time.sleep(0.2)
