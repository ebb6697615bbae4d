"""The Ray tests' cluster: one real 3-node cluster on 127.0.0.1 for the whole session (a head
and workers ``w2`` with 2 GPUs and ``w1`` with 1, each on a private Docker engine), reached
as a registered ``ray+ssh://`` host through the test sshd. Skips without Ray, root, dockerd or
sshd; fails instead under CI=true.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator

import pytest

from runner.hosts.known_hosts import KnownHosts, fetch_host_key
from runner.hosts.registry import HostConfig, HostRegistry
from tests.support.ray_cluster import ClusterUnavailable, RayTestCluster, docker0_state
from tests.support.remote import in_ci


def _unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason} (CI=true: Ray tests must not skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def ray_cluster(docker_client: object) -> Iterator[RayTestCluster]:
    if importlib.util.find_spec("ray") is None:
        _unavailable("ray is not installed (pip install 'pipeline-designer[ray]', which make test does)")
    before = docker0_state()
    cluster = RayTestCluster()
    try:
        cluster.start()
    except ClusterUnavailable as exc:
        _unavailable(str(exc))
    try:
        yield cluster
    finally:
        cluster.stop()
        # A second engine on this machine once deleted the main engine's bridge: never again.
        assert docker0_state() == before, f"docker0 changed: {before!r} -> {docker0_state()!r}"


@pytest.fixture
def ray_host(
    ray_cluster: RayTestCluster, sshd: object, config_dir: object, home: object, ssh_home: object
) -> HostConfig:
    """The cluster registered as host ``cluster`` (its head reached over the test sshd)."""
    server = sshd
    host = HostConfig(
        "cluster",
        f"ray+ssh://{server.user}@127.0.0.1:{server.port}",  # type: ignore[attr-defined]
        identity=str(server.key.path),  # type: ignore[attr-defined]
        ray_address=ray_cluster.address,
        ray_python=sys.executable,  # the cluster's own Python: this venv's, which has Ray
    )
    HostRegistry().add(host)
    KnownHosts().trust("127.0.0.1", server.port, fetch_host_key("127.0.0.1", server.port))  # type: ignore[attr-defined]
    return host


@pytest.fixture(autouse=True)
def _no_ray_in_the_runner() -> Iterator[None]:
    """The runner drives the cluster's Ray from the head: it never imports ray itself."""
    yield
    assert "ray" not in sys.modules, "the runner imported ray in its own process"


def worker_of(cluster: RayTestCluster, node_id: str) -> str:
    """``w1``/``w2`` for a Ray node id (or its first 12 characters)."""
    return next(name for name, nid in cluster.nodes.items() if nid.startswith(node_id))


# The designer's run window (tests/designer/run/conftest.py), for the designer on a cluster.
from tests.designer.run.conftest import make_run_window, prompts  # noqa: E402, F401
