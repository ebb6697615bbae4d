"""The calls a Hosts dialog makes (runner.api.hosts): offer, trust, test, secrets, remove."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from runner import api
from runner.hosts.known_hosts import HostKeyChangedError, UnknownHostKeyError
from runner.hosts.registry import HostConfig
from runner.hosts.ssh import HostAuthError
from tests.support.remote import MemoryKeyring

pytestmark = [pytest.mark.sshd, pytest.mark.docker]


def test_dialog_flow(
    sshd: Any, config_dir: Path, memory_keyring: MemoryKeyring, home: Path, docker_client: Any
) -> None:
    hosts = api.hosts
    key = sshd.key_with_passphrase
    hosts.add_host(HostConfig("box", sshd.base_url, identity=str(key.path), gpus=1))
    assert [h.name for h in hosts.list_hosts()] == ["box"]
    with pytest.raises(UnknownHostKeyError) as unknown:
        hosts.test_host("box")
    offered = hosts.offered_key("box")
    assert not offered.known and not offered.changed
    assert offered.fingerprint == unknown.value.fingerprint and offered.fingerprint.startswith("SHA256:")
    hosts.trust_offered("box", offered)
    assert hosts.offered_key("box").known
    with pytest.raises(HostAuthError, match="needs a passphrase"):
        hosts.test_host("box")
    assert key.passphrase
    hosts.store_secret("box", "passphrase", key.passphrase)
    report = hosts.test_host("box")
    assert report.reachable and report.engine_version == docker_client.version()["Version"]
    assert report.gpus == [] and report.gpu_note
    # A re-keyed host: shown as changed, not stored unless replaced explicitly.
    sshd.stop()
    sshd.host_key_path.unlink()
    sshd.host_key_path.with_suffix(".pub").unlink()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(sshd.host_key_path)], check=True)
    sshd.restart()
    with pytest.raises(HostKeyChangedError):
        hosts.test_host("box")
    changed = hosts.offered_key("box")
    assert changed.changed and changed.trusted == (offered.fingerprint,)
    with pytest.raises(HostKeyChangedError):
        hosts.trust_offered("box", changed)
    hosts.trust_offered("box", changed, replace=True)
    assert hosts.test_host("box").reachable
    hosts.remove_host("box")
    assert hosts.list_hosts() == [] and memory_keyring.items == {}
