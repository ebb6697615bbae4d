"""A task node's sweep on a real Ray cluster: one Ray task per execution, all side by side
across the workers, each with its own metrics and outputs, handed on to a downstream node; and
the same run again is reused, not rerun on the cluster."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from runner.execution.spec import container_name
from runner.hosts.registry import HostConfig
from runner.store.db import RunStore
from tests.runner.ray.conftest import worker_of
from tests.support import ray_runs
from tests.support.images import BUSYBOX
from tests.support.ray_cluster import RayTestCluster

pytestmark = [pytest.mark.ray, pytest.mark.docker, pytest.mark.sshd]

SWEEP = f"""
- step:
    name: train
    image: {BUSYBOX}
    command:
      - echo started
      - while [ ! -e /tmp/go ]; do sleep 0.1; done
      - N={{parameter-value:n}}
      - 'echo "{{\\"n\\": $N}}"'
      - echo "model {{parameter-value:n}}" > /valohai/outputs/model-{{parameter-value:n}}.txt
    parameters:
      - {{name: n, type: integer, default: 1}}
- step:
    name: collect
    image: {BUSYBOX}
    command: cat /valohai/inputs/models/*
    inputs:
      - name: models
- task:
    name: sweep
    step: train
    parameters:
      - {{name: n, style: multiple, rules: {{items: [1, 2, 3, 4]}}}}
- pipeline:
    name: p
    nodes:
      - {{name: train, type: task, task: sweep}}
      - {{name: collect, type: execution, step: collect}}
    edges:
      - [train.output.*, collect.input.models]
"""
UNITS = [f"train#{k}" for k in range(1, 5)]


def test_a_sweep_runs_its_executions_side_by_side_across_the_workers_and_is_reused_after(
    ray_cluster: RayTestCluster, ray_host: HostConfig, project: Callable[..., Path], home: Path
) -> None:
    path = project(SWEEP)
    record = ray_runs.RunRecord()
    handle = ray_runs.start(path, "p", [ray_host.name], record)
    try:  # each execution holds its slot until all four run: so they are placed side by side
        started = record.wait_for(lambda: all("started" in record.text(u, "stdout") for u in UNITS), 150)
        assert started, record.lines
        where = {u: worker_of(ray_cluster, record.placed(u)[0]) for u in UNITS}
    finally:
        for unit in UNITS:
            for engine in ray_cluster.engines.values():
                engine.docker("exec", container_name(handle.run_id, unit), "touch", "/tmp/go")
    assert handle.wait(120) == "succeeded", record.lines
    assert set(where.values()) == {"w1", "w2"}, where
    store = RunStore(home / "runs.sqlite3")
    try:
        for k, unit in enumerate(UNITS, start=1):
            execution = store.execution(handle.run_id, unit)
            assert [m["n"] for m in store.metadata(execution["id"])] == [k], record.text(unit)
    finally:
        store.close()
    assert sorted(record.text("collect", "stdout").splitlines()) == [f"model {k}" for k in range(1, 5)]

    again = ray_runs.run(path, "p", [ray_host.name])
    assert again.status == "succeeded", again.lines
    assert {again.final(u).status for u in [*UNITS, "collect"]} == {"reused"}, again.states
    assert not any("running on worker node" in again.text(u) for u in [*UNITS, "collect"])
