"""A real valohai-utils pipeline (examples/valohai-utils: inputs, parameters, outputs and
metrics through valohai-utils) gives the same metrics and outputs on the cluster as locally."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from runner.hosts.registry import HostConfig
from runner.store.db import RunStore
from tests.support import ray_runs
from tests.support.images import IMAGE_MAP
from tests.support.paths import EXAMPLES
from tests.support.ray_cluster import RayTestCluster

pytestmark = [pytest.mark.ray, pytest.mark.docker, pytest.mark.sshd]


def _results(home: Path, run_id: str, node: str) -> tuple[list[dict], dict[str, str]]:
    store = RunStore(home / "runs.sqlite3")
    try:
        ex = store.execution(run_id, node)
        records = [{k: v for k, v in r.items() if k != "_time"} for r in store.metadata(ex["id"])]
        return records, {o["path"]: o["sha256"] for o in store.outputs(ex["id"])}
    finally:
        store.close()


def test_a_valohai_utils_pipeline_gives_identical_metrics_on_the_cluster_and_locally(
    ray_cluster: RayTestCluster, ray_host: HostConfig, home: Path, tmp_path: Path, python_image: str
) -> None:
    example = tmp_path / "example"
    shutil.copytree(EXAMPLES / "valohai-utils", example)
    path = example / "valohai.yaml"
    local = ray_runs.run(path, "utils-pipeline", ["local"], image_map=IMAGE_MAP, reuse=False)
    cluster = ray_runs.run(path, "utils-pipeline", [ray_host.name], image_map=IMAGE_MAP, reuse=False)
    assert local.status == cluster.status == "succeeded", cluster.lines
    for node in ("prepare", "train"):
        here, there = _results(home, local.run_id, node), _results(home, cluster.run_id, node)
        assert here == there, node
    records, outputs = _results(home, cluster.run_id, "train")
    assert any("loss" in r for r in records) and "test_r2" in records[-1] and "model.json" in outputs
