"""Remote-host fixtures: a host registered against the throwaway sshd on 127.0.0.1.

The sshd (tests/sshd/) reaches the local engine, which stands in for the remote host (so the test
images are already there). ``config_dir``, ``home``, ``memory_keyring`` and ``sshd`` come from
tests/conftest.py: the user's keyring and config are never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sshd.sshd_server import ThrowawaySshd
from tests.support.remote import MemoryKeyring, RemoteHost, register_host


@pytest.fixture(autouse=True)
def _own_ssh_home(ssh_home: Path) -> Path:
    return ssh_home


@pytest.fixture
def bastion() -> Iterator[ThrowawaySshd]:
    """A second sshd, the jump host in front of ``sshd``."""
    from tests.support.remote import start_sshd

    server = start_sshd()
    try:
        yield server
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def failing_keyring() -> Iterator[None]:
    """The backend a machine without any keyring gets (what PYTHON_KEYRING_BACKEND=...fail selects)."""
    import keyring
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
