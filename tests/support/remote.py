"""Helpers of the remote-host tests: an in-memory keyring, sshd start-up, host registration."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import keyring.backend
import keyring.errors
import pytest

from runner.hosts.known_hosts import KnownHosts, fetch_host_key
from runner.hosts.registry import HostConfig, HostRegistry
from runner.hosts.secrets import set_secret
from tests.sshd.sshd_server import SshdUnavailable, ThrowawaySshd


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in this process only."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(f"{service}/{username} not set")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def start_sshd() -> ThrowawaySshd:
    try:
        return ThrowawaySshd().__enter__()
    except SshdUnavailable as exc:
        if in_ci():
            pytest.fail(f"{exc} (CI=true: sshd tests must not skip)", pytrace=False)
        pytest.skip(str(exc))


@dataclass
class RemoteHost:
    config: HostConfig
    server: ThrowawaySshd


def register_host(
    server: ThrowawaySshd, name: str, trust: bool = True, passphrase: bool = True, **fields: object
) -> RemoteHost:
    """Register ``server`` as host ``name`` (key with a passphrase from the keyring), trusted."""
    key = server.key_with_passphrase if passphrase else server.key
    config = HostConfig(name, server.base_url, identity=str(key.path), **fields)  # type: ignore[arg-type]
    HostRegistry().add(config)
    if key.passphrase:
        set_secret(name, "passphrase", key.passphrase)
    if trust:
        KnownHosts().trust("127.0.0.1", server.port, fetch_host_key("127.0.0.1", server.port))
    return RemoteHost(config, server)


def write_ssh_config(home: Path, text: str) -> Path:
    """``home/.ssh/config`` (dedented), as a user keeps it; returns its path."""
    path = home / ".ssh" / "config"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(textwrap.dedent(text))
    path.chmod(0o600)
    return path


@contextmanager
def ssh_agent(workdir: Path, *keys: tuple[Path, str | None]) -> Iterator[str]:
    """A real ``ssh-agent`` holding ``keys`` ((path, passphrase) pairs); yields its socket.

    The passphrase reaches ``ssh-add`` through an askpass script, as a desktop prompt would.
    """
    for tool in ("ssh-agent", "ssh-add"):
        if shutil.which(tool) is None:
            message = f"{tool} is not installed (apt-get install -y openssh-client)"
            pytest.fail(message, pytrace=False) if in_ci() else pytest.skip(message)
    sock = workdir / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not sock.exists():
            assert time.monotonic() < deadline and agent.poll() is None, "ssh-agent did not start"
            time.sleep(0.02)
        for path, passphrase in keys:
            askpass = workdir / "askpass.sh"
            askpass.write_text(f"#!/bin/sh\nprintf '%s\\n' '{passphrase or ''}'\n")
            askpass.chmod(0o700)
            env = {**os.environ, "SSH_AUTH_SOCK": str(sock), "SSH_ASKPASS": str(askpass),
                   "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"}  # fmt: skip
            subprocess.run(
                ["ssh-add", str(path)], env=env, check=True, capture_output=True, stdin=subprocess.DEVNULL
            )
        yield str(sock)
    finally:
        agent.send_signal(signal.SIGTERM)
        try:
            agent.wait(10)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait(10)
