"""The throwaway sshd (tests/sshd/) really carries Docker traffic over SSH.

These are the paths a remote Docker host uses: the Docker SDK's paramiko transport
(``use_ssh_client=False``, which runs ``docker system dial-stdio`` on the server), a
passphrase-protected key, and OpenSSH Unix-socket forwarding of /var/run/docker.sock.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from tests.sshd.sshd_server import HOST, SshdUnavailable, ThrowawaySshd

pytestmark = pytest.mark.sshd
DOCKER_SOCK = "/var/run/docker.sock"
PING_REQUEST = b"GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="module")
def sshd_server() -> Iterator[ThrowawaySshd]:
    try:
        server = ThrowawaySshd().__enter__()
    except SshdUnavailable as exc:
        if _in_ci():
            pytest.fail(f"{exc} (CI=true: sshd tests must not skip)", pytrace=False)
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.__exit__(None, None, None)
    assert not server.running


def _paramiko_client(server: ThrowawaySshd, key_path: Path, passphrase: str | None) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    known_hosts = server.workdir / "known_hosts_for_paramiko"
    known_hosts.write_text(server.known_hosts_line + "\n")
    client.load_host_keys(str(known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(
        HOST,
        port=server.port,
        username=server.user,
        key_filename=str(key_path),
        passphrase=passphrase,
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
    )
    return client


def _http_over_dial_stdio(client: paramiko.SSHClient, request: bytes) -> bytes:
    channel = client.get_transport().open_session(timeout=10)  # type: ignore[union-attr]
    channel.settimeout(20)
    channel.exec_command("docker system dial-stdio")
    channel.sendall(request)
    chunks = []
    while chunk := channel.recv(65536):
        chunks.append(chunk)
    channel.close()
    return b"".join(chunks)


@pytest.mark.docker
def test_docker_sdk_over_ssh_runs_a_container(
    sshd_server: ThrowawaySshd,
    docker_client: object,
    busybox_image: str,
    container_label: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import docker

    # paramiko finds the key in ~/.ssh/config and the host key in ~/.ssh/known_hosts.
    monkeypatch.setenv("HOME", str(sshd_server.client_home(tmp_path / "home")))
    remote = docker.DockerClient(base_url=sshd_server.base_url, use_ssh_client=False, timeout=30)
    try:
        assert remote.ping() is True
        container = remote.containers.run(
            busybox_image,
            ["sh", "-c", "echo over-ssh from $(hostname); exit 3"],
            labels=container_label,
            network_mode="none",
            detach=True,
        )
        assert container.wait(timeout=30)["StatusCode"] == 3
        assert container.logs().decode().startswith("over-ssh from ")
    finally:
        remote.close()
    # The same engine is behind the tunnel: the local client sees the container by its label.
    (label,) = container_label.items()
    seen = docker_client.containers.list(all=True, filters={"label": f"{label[0]}={label[1]}"})  # type: ignore[attr-defined]
    assert [c.id for c in seen] == [container.id]
    assert f"Accepted publickey for {sshd_server.user}" in sshd_server.log_text()


@pytest.mark.docker
def test_passphrase_key_reaches_the_engine_through_dial_stdio(
    sshd_server: ThrowawaySshd, docker_client: object
) -> None:
    key = sshd_server.key_with_passphrase
    with pytest.raises(paramiko.PasswordRequiredException):
        _paramiko_client(sshd_server, key.path, None)
    client = _paramiko_client(sshd_server, key.path, key.passphrase)
    try:
        reply = _http_over_dial_stdio(
            client, b"GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"
        )
    finally:
        client.close()
    assert reply.startswith(b"HTTP/1.1 200 OK"), reply[:200]
    assert reply.endswith(b"OK")


def test_unknown_key_and_unknown_host_key_are_refused(sshd_server: ThrowawaySshd, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    with pytest.raises(paramiko.AuthenticationException):
        _paramiko_client(sshd_server, stranger, None)

    client = paramiko.SSHClient()  # no known_hosts entry: RejectPolicy must refuse the server
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    with pytest.raises(paramiko.SSHException, match="not found in known_hosts"):
        client.connect(
            HOST, port=sshd_server.port, username=sshd_server.user, key_filename=str(sshd_server.key.path),
            look_for_keys=False, allow_agent=False, timeout=10,
        )  # fmt: skip
    client.close()


@pytest.mark.docker
def test_openssh_forwards_the_docker_socket(
    sshd_server: ThrowawaySshd, docker_client: object, tmp_path: Path
) -> None:
    import docker

    if shutil.which("ssh") is None:
        if _in_ci():
            pytest.fail("the ssh client is missing (apt-get install -y openssh-client)")
        pytest.skip("the ssh client is missing")
    home = sshd_server.client_home(tmp_path / "home")
    local_sock = tmp_path / "docker.sock"
    tunnel = subprocess.Popen(
        ["ssh", "-F", str(home / ".ssh" / "config"), "-N", "-o", "ExitOnForwardFailure=yes",
         "-L", f"{local_sock}:{DOCKER_SOCK}", HOST],
        stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not local_sock.exists():
            assert tunnel.poll() is None, tunnel.stderr.read().decode()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "ssh -L did not create the local socket"
            time.sleep(0.05)
        forwarded = docker.DockerClient(base_url=f"unix://{local_sock}", timeout=30)
        try:
            assert forwarded.ping() is True
            assert forwarded.version()["Version"] == docker_client.version()["Version"]  # type: ignore[attr-defined]
        finally:
            forwarded.close()
    finally:
        tunnel.terminate()
        tunnel.wait(timeout=10)


@pytest.mark.docker
def test_docker_cli_reaches_the_engine_over_ssh(
    sshd_server: ThrowawaySshd, docker_client: object, tmp_path: Path
) -> None:
    if shutil.which("docker") is None:
        pytest.fail("the docker CLI is missing although the engine is up")
    bin_dir = sshd_server.ssh_wrapper_dir(tmp_path / "home")
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    env.pop("DOCKER_HOST", None)
    result = subprocess.run(
        ["docker", "-H", sshd_server.base_url, "version", "--format", "{{.Server.Version}}"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == docker_client.version()["Version"]  # type: ignore[attr-defined]


def test_stopped_server_frees_its_port_and_files() -> None:
    try:
        server = ThrowawaySshd().__enter__()
    except SshdUnavailable as exc:
        if _in_ci():
            pytest.fail(str(exc), pytrace=False)
        pytest.skip(str(exc))
    port, workdir = server.port, server.workdir
    assert server.running
    server.__exit__(None, None, None)
    assert not server.running
    assert not workdir.exists()
    with pytest.raises(OSError), socket.create_connection((HOST, port), timeout=2):
        pass
