"""Docker errors in words a user can act on: unit cases on the engine's own messages, then the real
engine made to fail (a DOCKER_HOST with nothing behind it, a network that does not exist, an
image tag that is not there, a network of our own whose bridge interface was deleted) without
touching the engine's configuration or its own networks."""

from __future__ import annotations

import argparse
import io
import socket
import time
from pathlib import Path

import pytest

from runner.api import EngineState, ProblemKind, check_engine, explain_engine_error
from runner.cli import run_cmd
from runner.execution.engine_check import CHECK_LABEL

BRIDGE = (
    '500 Server Error for http+docker://localhost/v1.41/containers/abc/start: Internal Server Error ("failed '
    "to create endpoint vh-x on network bridge: adding interface veth1 to bridge docker0 failed: could not "
    'find bridge docker0: route ip+net: no such network interface")'
)
PULL_NO_REGISTRY = (
    "500 Server Error for http+docker://localhost/v1.41/images/create?tag=3.12-slim&fromImage=python: "
    'Internal Server Error ("Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io '
    'on 10.0.0.53:53: no such host")'
)
PULL_DENIED = (
    "404 Client Error for http+docker://localhost/v1.41/images/create?tag=1&fromImage=acme%2Fprivate: "
    'Not Found ("pull access denied for acme/private, repository does not exist or may require '
    "'docker login'\")"
)


def test_image_not_pullable_offers_the_image_map() -> None:
    problem = explain_engine_error(PULL_NO_REGISTRY)
    assert problem is not None and problem.kind is ProblemKind.IMAGE_MISSING
    assert problem.image == "python:3.12-slim"
    assert "no registry could be reached" in problem.message
    assert "Preferences ▸ Image mapping" in problem.fix and "settings map python:3.12-slim" in problem.fix
    # A node's stored message (the explained text) reads back as the same problem: the designer
    # offers the mapping from it after the run.
    again = explain_engine_error(f"could not start: {problem}")
    assert again is not None and again.kind is ProblemKind.IMAGE_MISSING and again.image == "python:3.12-slim"
    denied = explain_engine_error(PULL_DENIED)
    assert denied is not None and denied.image == "acme/private:1" and "docker login" in denied.message


def test_bridge_gone_and_missing_network_say_what_to_do() -> None:
    bridge = explain_engine_error(BRIDGE, platform="linux")
    assert bridge is not None and bridge.kind is ProblemKind.BRIDGE_GONE
    assert "--network none" in bridge.fix and "systemctl restart docker" in bridge.fix
    net = explain_engine_error('404 Client Error: Not Found ("network ml-net not found")')
    assert net is not None and net.kind is ProblemKind.NETWORK_MISSING and net.network == "ml-net"
    assert "docker network create ml-net" in net.fix


def test_engine_down_and_permission_are_told_apart() -> None:
    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as inner:
            raise RuntimeError("Error while fetching server API version: ('Connection aborted.')") from inner
    except RuntimeError as wrapped:
        down = explain_engine_error(wrapped, platform="darwin")
    assert down is not None and down.kind is ProblemKind.ENGINE_DOWN and down.fix.startswith("open -a Docker")
    denied = explain_engine_error(
        "Error while fetching server API version: "
        "('Connection aborted.', PermissionError(13, 'Permission denied'))"
    )
    assert denied is not None and denied.kind is ProblemKind.NO_PERMISSION
    assert explain_engine_error("exit code 1") is None  # not an engine problem: left as it is


@pytest.fixture
def dead_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """DOCKER_HOST pointing at a socket file with nothing listening behind it."""
    path = tmp_path / "dead.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    return str(path)


def test_engine_check_on_a_socket_with_nothing_behind_it(dead_socket: str) -> None:
    report = check_engine(which=lambda name: "/usr/bin/docker")
    assert report.state is EngineState.NOT_RUNNING
    assert "Connection refused" in report.detail and report.fix


def _run(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    run_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["run", *argv])
    out = io.StringIO()
    return args.func(args, out), out.getvalue()


STEP = """\
- step: {name: hello, image: busybox, command: "echo hello"}
"""


def test_cli_run_without_an_engine_says_how_to_start_it(project, home, dead_socket, capsys) -> None:
    code, _ = _run(str(project(STEP)), "--step", "hello")
    err = capsys.readouterr().err
    assert code == 2
    assert "The Docker engine is not running" in err and "systemctl start docker" in err
    assert "--backend local" in err  # the command line's own way out
    assert "Traceback" not in err


@pytest.mark.docker
def test_engine_check_starts_a_real_container(docker_client, busybox_image: str) -> None:
    report = check_engine(images=[busybox_image])
    assert report.state is EngineState.FOUND and busybox_image in report.detail
    _no_check_container_stays(docker_client)


def _no_check_container_stays(docker_client) -> None:
    """One seen right now may be another xdist worker's check, which goes; ours never stays."""
    deadline = time.monotonic() + 20
    while docker_client.containers.list(all=True, ignore_removed=True, filters={"label": CHECK_LABEL}):
        assert time.monotonic() < deadline, "a check container was left behind"
        time.sleep(0.2)


@pytest.mark.docker
def test_engine_check_on_a_network_that_does_not_exist(docker_client, busybox_image: str) -> None:
    report = check_engine(network="pd-test-no-such-network", images=[busybox_image])
    assert report.state is EngineState.CANNOT_START, report
    assert "'pd-test-no-such-network' does not exist" in report.detail
    assert "docker network create pd-test-no-such-network" in report.fix
    _no_check_container_stays(docker_client)


@pytest.mark.docker
@pytest.mark.parametrize("pull", ["missing", "never"])
def test_a_step_whose_image_tag_is_missing_fails_with_the_fix(
    project, home, docker_client, capsys, pull: str
) -> None:
    missing = "pipeline-designer-test/busybox:no-such-tag"
    path = project(STEP.replace("image: busybox", f"image: {missing}"))
    code, out = _run(str(path), "--step", "hello", "--network", "none", "--pull", pull)
    assert code == 1
    assert f"image '{missing}' is not on the Docker engine" in out
    assert f"settings map {missing} LOCAL_IMAGE" in out
    assert "500 Server Error" not in out.split("engine said")[0]  # the raw text only as a detail line


@pytest.mark.docker
def test_a_run_on_a_network_that_does_not_exist_names_it(project, home, docker_client, busybox_image) -> None:
    path = project(STEP)
    code, out = _run(
        str(path),
        "--step",
        "hello",
        "--network",
        "pd-test-no-such-network",
        "--image-map",
        f"busybox={busybox_image}",
    )
    assert code == 1
    assert "container network 'pd-test-no-such-network' does not exist" in out


@pytest.fixture
def network_without_its_bridge(docker_client):
    """A network of our own whose Linux bridge was deleted: what a removed docker0 does to the
    default one, without touching the engine's own networks. Needs root (``ip link delete``)."""
    import os
    import shutil
    import subprocess
    import uuid

    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("deleting a bridge interface needs root and iproute2")
    network = docker_client.networks.create(f"pd-test-nobridge-{uuid.uuid4().hex[:8]}", driver="bridge")
    try:
        subprocess.run(["ip", "link", "delete", f"br-{network.id[:12]}"], check=True, capture_output=True)
        yield network.name
    finally:
        network.remove()


@pytest.mark.docker
def test_a_network_whose_bridge_is_gone_says_so_and_what_to_do(
    project, home, network_without_its_bridge: str, busybox_image: str
) -> None:
    name = network_without_its_bridge
    code, out = _run(
        str(project(STEP)), "--step", "hello", "--network", name, "--image-map", f"busybox={busybox_image}"
    )
    assert code == 1
    assert "The bridge interface br-" in out and f"of container network '{name}' is gone" in out
    assert f"docker network rm {name} && docker network create {name}" in out and "--network none" in out
