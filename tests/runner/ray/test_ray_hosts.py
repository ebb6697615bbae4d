"""A Ray cluster as the CLI user meets it: registered with ``hosts add``, tested with ``hosts
test`` (its nodes, GPUs and what is free), run on with ``run --host``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from runner.hosts.registry import HostConfig
from tests.support.cli import cli
from tests.support.images import BUSYBOX
from tests.support.ray_cluster import RayTestCluster


def test_hosts_add_keeps_a_ray_cluster_with_its_address_and_python(config_dir: Path) -> None:
    code, text = cli("hosts", "add", "gpus", "ray+ssh://me@10.1.2.3:2200", "--ray-address", "10.1.2.3:6379",
                     "--ray-python", "/opt/ray/bin/python")  # fmt: skip
    assert code == 0, text
    entry = json.loads(cli("hosts", "list", "--json")[1])["hosts"][0]
    assert entry["ray_address"] == "10.1.2.3:6379" and entry["ray_python"] == "/opt/ray/bin/python"
    assert HostConfig.from_json(entry).kind == "ray"
    assert cli("hosts", "add", "box", "ssh://me@10.1.2.4", "--ray-address", "x:1")[0] == 2


@pytest.mark.ray
@pytest.mark.docker
@pytest.mark.sshd
def test_hosts_test_lists_the_nodes_and_run_host_runs_there(
    ray_cluster: RayTestCluster, ray_host: HostConfig, project: Callable[..., Path]
) -> None:
    code, text = cli("hosts", "test", ray_host.name)
    assert code == 0, text
    workers = [line for line in text.splitlines() if line.strip().startswith("worker ")]
    assert len(workers) == 2, text
    assert any("GPUs 2/2 free" in w for w in workers) and any("GPUs 1/1 free" in w for w in workers), text
    path = project(
        f"""
        - step:
            name: hello
            image: {BUSYBOX}
            command: echo "hello from the cluster"
        - pipeline:
            name: p
            nodes:
              - {{name: hello, type: execution, step: hello}}
            edges: []
        """
    )
    code, text = cli("run", str(path), "--pipeline", "p", "--host", ray_host.name, "--logs")
    assert code == 0 and "hello from the cluster" in text and "running on worker node" in text, text
