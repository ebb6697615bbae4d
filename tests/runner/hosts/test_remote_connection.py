"""The connection API other parts build on (shell, metrics, Ray): commands, a pty, streams, a
forwarded port and files, through a ProxyJump route of two real sshds."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from runner.hosts.connection import connect
from runner.hosts.errors import RemoteCommandError
from runner.hosts.known_hosts import KnownHosts, fetch_host_key
from tests.sshd.sshd_server import ThrowawaySshd
from tests.support.remote import write_ssh_config

pytestmark = [pytest.mark.sshd]


def _route_home(home: Path, target: ThrowawaySshd, bastion: ThrowawaySshd) -> None:
    write_ssh_config(
        home,
        f"""
        Host gpubox
            HostName 127.0.0.1
            Port {target.port}
            IdentityFile {target.key.path}
            ProxyJump 127.0.0.1:{bastion.port}
        Host 127.0.0.1
            IdentityFile {bastion.key.path}
        """,
    )
    for server in (target, bastion):
        KnownHosts().trust("127.0.0.1", server.port, fetch_host_key("127.0.0.1", server.port))


def test_commands_pty_stream_forward_and_files_through_a_jump_host(
    sshd: ThrowawaySshd, bastion: ThrowawaySshd, ssh_home: Path, config_dir: Path, failing_keyring: None,
    tmp_path: Path,
) -> None:  # fmt: skip
    _route_home(ssh_home, sshd, bastion)
    with connect("ssh://gpubox") as conn:
        assert conn.route.describe() == f"{sshd.user}@127.0.0.1:{sshd.port} via 127.0.0.1:{bastion.port}"
        done = conn.run(["sh", "-c", "cat; echo err >&2; exit 3"], input=b"in")
        assert (done.status, done.stdout, done.stderr) == (3, b"in", b"err\n")
        with pytest.raises(RemoteCommandError, match=r"exited with 3: err"):
            done.check()
        assert conn.run(["echo", "$(id)", "a;b"]).text == "$(id) a;b\n"  # a list is never shell syntax
        with pytest.raises(RemoteCommandError, match=r"did not finish within 0\.5 s"):
            conn.run(["sleep", "5"], timeout=0.5)

        with conn.start("stty size; read line; echo got $line", pty=True, size=(120, 40)) as shell:
            out = b""
            while b"\n" not in out:
                out += shell.read(timeout=10)
            assert out.strip() == b"40 120"
            shell.write(b"hello\n")
            while b"got hello" not in out:
                out += shell.read(timeout=10)
            assert shell.wait(10) == 0

        assert list(conn.stream(["sh", "-c", "echo one; echo two; printf three"])) == ["one", "two", "three"]

        with conn.forward(sshd.port) as fwd, socket.create_connection(("127.0.0.1", fwd.local_port), 5) as s:
            assert s.recv(64).startswith(b"SSH-2.0-")  # the target's own sshd, seen from the target

        src = tmp_path / "payload.bin"
        src.write_bytes(b"\x00\x01" * 50_000)
        remote = str(tmp_path / "remote.bin")
        conn.put(src, remote)
        conn.get(remote, tmp_path / "back.bin")
        assert (tmp_path / "back.bin").read_bytes() == src.read_bytes()
    assert not conn.alive


@pytest.mark.docker
def test_a_docker_client_rides_the_connection_and_leaves_it_open(
    sshd: ThrowawaySshd, bastion: ThrowawaySshd, ssh_home: Path, config_dir: Path, failing_keyring: None,
    docker_client: Any,
) -> None:  # fmt: skip
    _route_home(ssh_home, sshd, bastion)
    with connect("ssh://gpubox") as conn:
        engine = conn.docker()
        assert engine.version()["Version"] == docker_client.version()["Version"]
        engine.close()
        assert conn.alive and conn.run(["true"]).status == 0
