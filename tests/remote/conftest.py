"""Remote-host fixtures: a private config dir and data dir, an in-memory keyring, a throwaway sshd.

The keyring backend is set for the test and restored after: the user's keyring is never
touched. The sshd (tests/sshd/) listens on 127.0.0.1 and reaches the local engine, which
stands in for the remote host (so the test images are already there).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from remote_helpers import MemoryKeyring, RemoteHost, register_host, start_sshd
from sshd.sshd_server import ThrowawaySshd

from runner.hosts.paths import CONFIG_ENV
from runner.store.paths import HOME_ENV


@pytest.fixture(autouse=True)
def ssh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME with an empty ~/.ssh and no agent: the developer's own ssh config, keys and agent
    never reach a test (tests write the config they mean, see ``write_ssh_config``)."""
    path = tmp_path / "sshhome"
    (path / ".ssh").mkdir(parents=True, mode=0o700)
    monkeypatch.setenv("HOME", str(path))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return path


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    try:
        yield ring
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config"
    monkeypatch.setenv(CONFIG_ENV, str(path))
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv(HOME_ENV, str(path))
    return path


@pytest.fixture
def project(tmp_path: Path) -> Callable[..., Path]:
    """Write a valohai.yaml (dedented) plus extra files; returns the YAML path."""

    def make(yaml_text: str, **files: str) -> Path:
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        for name, text in files.items():
            (root / name).write_text(text)
        path = root / "valohai.yaml"
        path.write_text(textwrap.dedent(yaml_text))
        return path

    return make


@pytest.fixture
def sshd() -> Iterator[ThrowawaySshd]:
    server = start_sshd()
    try:
        yield server
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def bastion() -> Iterator[ThrowawaySshd]:
    """A second sshd, the jump host in front of ``sshd``."""
    server = start_sshd()
    try:
        yield server
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def failing_keyring() -> Iterator[None]:
    """The backend a machine without any keyring gets (what PYTHON_KEYRING_BACKEND=...fail selects)."""
    import keyring.backends.fail

    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def remote_host(sshd: ThrowawaySshd, config_dir: Path, memory_keyring: MemoryKeyring) -> RemoteHost:
    return register_host(sshd, "box")
