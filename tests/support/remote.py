"""Helpers of the remote-host tests: an in-memory keyring, sshd start-up, host registration."""

from __future__ import annotations

import argparse
import io
import os
from dataclasses import dataclass

import keyring.backend
import keyring.errors
import pytest

from runner.cli import history_cmd, hosts_cmd, run_cmd
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


def cli(*argv: str) -> tuple[int, str]:
    """Run the run/history/hosts subcommands in process; returns (exit code, what they printed)."""
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    for module in (run_cmd, history_cmd, hosts_cmd):
        module.register(sub)
    args = parser.parse_args(argv)
    out = io.StringIO()
    return args.func(args, out), out.getvalue()
