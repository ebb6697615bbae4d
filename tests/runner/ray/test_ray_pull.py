"""Images a worker pulls itself on a real Ray cluster: an image the designer's machine does not
have is pulled by the worker that runs the node, from a real registry (tests/support/registry.py,
listening on 127.0.0.1 inside each worker engine's own network namespace), never shipped; a pull
the registry refuses fails the node with the registry's reason."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runner.hosts.registry import HostConfig
from tests.runner.ray.conftest import worker_of
from tests.support import ray_runs
from tests.support.images import BUSYBOX
from tests.support.ray_cluster import RayTestCluster
from tests.support.registry import Image, Registry

pytestmark = [pytest.mark.ray, pytest.mark.docker, pytest.mark.sshd]

MARK = "this file came from the test registry"

STEP = """
- step:
    name: show
    image: {image}
    command:
      - cat /pulled.txt
- pipeline:
    name: p
    nodes:
      - {{name: show, type: execution, step: show}}
    edges: []
"""


@pytest.fixture(scope="module")
def registry(ray_cluster: RayTestCluster) -> Iterator[Registry]:
    """One registry, on the same port in every worker's namespace; each test adds its own image."""
    base = Image.saved(BUSYBOX).with_file("/pulled.txt", MARK + "\n")
    with Registry({"pd-test/base:1": base}) as served:
        for engine in ray_cluster.engines.values():
            served.serve(engine.netns)
        yield served


def _fresh(registry: Registry) -> str:
    """A name only the registry has: pulled anew whatever earlier tests left on the workers."""
    repo = f"pd-test/pulled-{uuid.uuid4().hex[:8]}:1"
    registry.images[repo] = registry.images["pd-test/base:1"]
    return registry.name(repo)


def test_an_image_the_designer_lacks_is_pulled_by_the_worker_that_runs_the_node(
    ray_cluster: RayTestCluster, ray_host: HostConfig, registry: Registry, project: Callable[..., Path]
) -> None:
    image = _fresh(registry)
    local = subprocess.run(["docker", "image", "inspect", image], capture_output=True, timeout=60)
    assert local.returncode != 0, "the designer's engine must not have the image (it would be shipped)"
    record = ray_runs.run(project(STEP.format(image=image)), "p", [ray_host.name])
    log = record.text("show")
    assert record.status == "succeeded", record.lines
    assert MARK in record.text("show", "stdout"), log
    assert f"pulling image {image} on " in log, log
    assert "shipped" not in log, log
    engine = ray_cluster.engines[worker_of(ray_cluster, record.placed("show")[0])]
    pulled = engine.docker("image", "inspect", "--format", "{{json .RepoDigests}}", image)
    assert pulled.returncode == 0, f"{image} is not on the worker's engine: {pulled.stderr}"
    digest = registry.images["pd-test/base:1"].digest
    assert digest in pulled.stdout, f"the worker's image is not the registry's: {pulled.stdout}"
    repo = image.split("/", 1)[1].rsplit(":", 1)[0]
    assert ("GET", f"/v2/{repo}/manifests/{digest}") in registry.requests, registry.requests


def test_a_pull_the_registry_refuses_fails_the_node_with_the_registry_reason(
    ray_cluster: RayTestCluster, ray_host: HostConfig, registry: Registry, project: Callable[..., Path]
) -> None:
    image = registry.name(f"pd-test/missing-{uuid.uuid4().hex[:8]}:1")
    record = ray_runs.run(project(STEP.format(image=image)), "p", [ray_host.name])
    assert record.status == "failed", record.lines
    final = record.final("show")
    assert final.status == "failed"
    # What the designer shows on the node: the engine's words with the registry's own reason.
    assert f"manifest for {image} not found" in final.message, final.message
    assert "the test registry has no image pd-test/missing-" in final.message, final.message
    assert "Traceback" not in final.message + record.text("show"), record.text("show")
    for engine in ray_cluster.engines.values():
        assert engine.docker("image", "inspect", image).returncode != 0
