"""Stopping and losing nodes on a real Ray cluster: cancel reaches the task and its container,
a worker killed mid-task fails its node with the reason (and its container goes too), and
what dead runs left on any worker goes at the next run's start."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from runner.execution.spec import RUN_LABEL
from runner.hosts import service as hosts_service
from runner.hosts.health import CLIENT_LABEL
from runner.hosts.paths import client_id
from runner.hosts.registry import HostConfig
from tests.runner.ray.conftest import worker_of
from tests.support import ray_runs
from tests.support.images import BUSYBOX
from tests.support.ray_cluster import PrivateEngine, RayTestCluster

pytestmark = [pytest.mark.ray, pytest.mark.docker, pytest.mark.sshd]

LONG = f"""
- step:
    name: long
    image: {BUSYBOX}
    command:
      - echo started
      - sleep 120
- pipeline:
    name: p
    nodes:
      - {{name: long, type: execution, step: long}}
    edges: []
"""


def _containers(engine: PrivateEngine, name: str) -> list[str]:
    return engine.docker("ps", "-aq", "--filter", f"name=^{name}$").stdout.split()


def _running(engine: PrivateEngine, name: str) -> list[str]:
    return engine.docker("ps", "-q", "--filter", f"name=^{name}$").stdout.split()


def _started(record: ray_runs.RunRecord) -> bool:
    return "started" in record.text("long", "stdout")


def test_cancel_stops_and_removes_the_container_within_5_s(
    ray_cluster: RayTestCluster, ray_host: HostConfig, project: Callable[..., Path]
) -> None:
    record = ray_runs.RunRecord()
    handle = ray_runs.start(project(LONG), "p", [ray_host.name], record)
    assert record.wait_for(lambda: _started(record), 120), record.lines
    engine = ray_cluster.engines[worker_of(ray_cluster, record.placed("long")[0])]
    name = f"vh-{handle.run_id}-long"
    assert _containers(engine, name), "the step runs in a container on its worker's own engine"
    t0 = time.monotonic()
    handle.cancel()
    while _containers(engine, name) and time.monotonic() - t0 < 30:
        time.sleep(0.1)
    gone_after = time.monotonic() - t0
    assert handle.wait(60) == "cancelled"
    assert gone_after < 5, f"the container was still there {gone_after:.1f} s after cancel"
    assert record.final("long").status == "cancelled"


def test_a_worker_killed_mid_task_fails_its_node_with_the_reason(
    ray_cluster: RayTestCluster, ray_host: HostConfig, project: Callable[..., Path]
) -> None:
    record = ray_runs.RunRecord()
    handle = ray_runs.start(project(LONG), "p", [ray_host.name], record)
    assert record.wait_for(lambda: _started(record), 120), record.lines
    worker = worker_of(ray_cluster, record.placed("long")[0])
    engine, name = ray_cluster.engines[worker], f"vh-{handle.run_id}-long"
    ray_cluster.kill_worker(worker)  # the node's Ray processes die at once, as with a lost machine
    try:
        assert handle.wait(90) == "failed"
        message = record.final("long").message
        assert "lost worker node" in message and "127.0.0.1" in message, message
        # Its worker process died with the node, closing the container's stdin: the step stops.
        deadline = time.monotonic() + 20
        while _running(engine, name) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _running(engine, name), "the lost task's container kept running"
        ray_cluster.add_worker(worker)
        # Back in the cluster, the next connect removes what the lost run left on it.
        report = hosts_service.test_host(ray_host.name)
        assert report.leftovers_removed >= 1 and not _containers(engine, name)
    finally:
        if worker not in ray_cluster.nodes:
            ray_cluster.add_worker(worker)


def _plant_leftover(engine: PrivateEngine, name: str, labels: dict[str, str]) -> None:
    """A stopped container of ours on a worker's engine, as a run that died there leaves it."""
    if engine.docker("image", "inspect", BUSYBOX).returncode != 0:  # engines start with no images
        saved = subprocess.run(["docker", "save", BUSYBOX], capture_output=True, check=True, timeout=60)
        env = {**os.environ, "DOCKER_HOST": engine.docker_host}
        subprocess.run(["docker", "load"], input=saved.stdout, env=env, capture_output=True, check=True,
                       timeout=60)  # fmt: skip
    flags = [x for key, value in labels.items() for x in ("--label", f"{key}={value}")]
    done = engine.docker("create", "--name", name, "--network", "none", *flags, BUSYBOX, "true")
    assert done.returncode == 0, done.stderr


def test_a_run_start_removes_what_dead_runs_left_on_every_worker(
    ray_cluster: RayTestCluster, ray_host: HostConfig, project: Callable[..., Path]
) -> None:
    dead, mine = "20260101-000000-dead00", client_id()
    planted = {worker: f"vh-{dead}-{worker}" for worker in ray_cluster.engines}
    other = "vh-20260101-000000-other0-n"  # another machine's (another client id) stays
    for worker, name in planted.items():
        _plant_leftover(ray_cluster.engines[worker], name, {RUN_LABEL: dead, CLIENT_LABEL: mine})
    _plant_leftover(ray_cluster.engines["w1"], other, {RUN_LABEL: dead, CLIENT_LABEL: "someone-else"})
    try:
        record = ray_runs.RunRecord()
        handle = ray_runs.start(project(LONG.replace("sleep 120", "echo done")), "p", [ray_host.name], record)
        assert handle.wait(120) == "succeeded", record.lines
        for worker, name in planted.items():
            assert not _containers(ray_cluster.engines[worker], name), f"{name} is still on {worker}"
        assert _containers(ray_cluster.engines["w1"], other), "another client's container was removed"
        (note,) = [n for n in handle.notes if "leftover" in n]
        assert "removed 2 leftover container(s)" in note and all(n in note for n in planted.values()), note
    finally:
        ray_cluster.engines["w1"].docker("rm", "-f", other)


def test_a_step_that_ignores_sigterm_is_killed_after_the_grace_and_its_container_removed(
    ray_cluster: RayTestCluster, ray_host: HostConfig, project: Callable[..., Path]
) -> None:
    stubborn = LONG.replace("- echo started", "- trap '' TERM\n      - echo started")
    record = ray_runs.RunRecord()
    handle = ray_runs.start(project(stubborn), "p", [ray_host.name], record, grace=2.0)
    assert record.wait_for(lambda: _started(record), 120), record.lines
    engine = ray_cluster.engines[worker_of(ray_cluster, record.placed("long")[0])]
    name = f"vh-{handle.run_id}-long"
    t0 = time.monotonic()
    handle.cancel()
    while _containers(engine, name) and time.monotonic() - t0 < 60:
        time.sleep(0.1)
    gone_after = time.monotonic() - t0
    assert handle.wait(60) == "cancelled"
    # SIGTERM did nothing: SIGKILL after the 2 s grace, then removed (not left on the worker; the
    # bound is generous for a loaded machine: what is left behind is never removed)
    assert 2.0 <= gone_after < 20, f"the container was gone {gone_after:.1f} s after cancel"
