"""Remote-host fixtures: a host registered against the throwaway sshd on 127.0.0.1.

The sshd (tests/sshd/) reaches the local engine, which stands in for the remote host (so the test
images are already there). ``config_dir``, ``home``, ``memory_keyring`` and ``sshd`` come from
tests/conftest.py: the user's keyring and config are never touched.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sshd.sshd_server import ThrowawaySshd
from tests.support.remote import MemoryKeyring, RemoteHost, register_host


@pytest.fixture
def remote_host(sshd: ThrowawaySshd, config_dir: Path, memory_keyring: MemoryKeyring) -> RemoteHost:
    return register_host(sshd, "box")
