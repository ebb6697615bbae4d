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
def remote_host(sshd: ThrowawaySshd, config_dir: Path, memory_keyring: MemoryKeyring) -> RemoteHost:
    return register_host(sshd, "box")
