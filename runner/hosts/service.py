"""Host management in calls a dialog can make (the Hosts dialog and ``hosts`` CLI share the rules).

offered = offered_key("gpu1")          # show offered.fingerprint (and offered.changed!)
trust_offered("gpu1", offered)         # only after the user accepted it
report = test_host("gpu1")             # engine, GPUs, leftovers removed
"""

from __future__ import annotations

from dataclasses import dataclass

import paramiko

from runner.hosts.health import GPU_PROBE_IMAGE, HostReport, check_host
from runner.hosts.known_hosts import KnownHosts, fetch_host_key, fingerprint, host_id
from runner.hosts.paths import client_id
from runner.hosts.registry import HostConfig, HostRegistry
from runner.hosts.secrets import KINDS, delete_secret, set_secret
from runner.hosts.ssh import HostUnreachableError


@dataclass(frozen=True)
class OfferedKey:
    host: str  # registry name
    host_id: str  # known_hosts name, e.g. "[10.0.0.5]:2222"
    key_type: str
    fingerprint: str  # SHA256:...
    trusted: tuple[str, ...]  # fingerprints we trust for it now
    key: paramiko.PKey

    @property
    def known(self) -> bool:
        return self.fingerprint in self.trusted

    @property
    def changed(self) -> bool:
        """A different key than the trusted one: warn loudly; replacing needs an explicit choice."""
        return bool(self.trusted) and not self.known


def list_hosts() -> list[HostConfig]:
    return list(HostRegistry().load().values())


def add_host(config: HostConfig, replace: bool = False) -> None:
    HostRegistry().add(config, replace=replace)


def remove_host(name: str) -> None:
    gone = HostRegistry().remove(name)
    for kind in KINDS:
        delete_secret(gone.name, kind)


def store_secret(name: str, kind: str, secret: str) -> None:
    HostRegistry().get(name)  # only for registered hosts
    set_secret(name, kind, secret)


def offered_key(name: str) -> OfferedKey:
    host = HostRegistry().get(name)
    hid = host_id(host.hostname, host.port)
    try:
        key = fetch_host_key(host.hostname, host.port)
    except Exception as exc:  # refused, timeout, not SSH
        raise HostUnreachableError(f"host {name!r} ({hid}) is unreachable: {exc}") from None
    trusted = tuple(fingerprint(k) for k in KnownHosts().lookup(host.hostname, host.port).values())
    return OfferedKey(name, hid, key.get_name(), fingerprint(key), trusted, key)


def trust_offered(name: str, offered: OfferedKey, replace: bool = False) -> None:
    """Store the key the user accepted; a changed key needs ``replace`` (else HostKeyChangedError)."""
    host = HostRegistry().get(name)
    KnownHosts().trust(host.hostname, host.port, offered.key, replace=replace)


def test_host(name: str, gpu_image: str = GPU_PROBE_IMAGE) -> HostReport:
    """Connect and report; raises the typed host errors (unknown/changed key, unreachable, auth)."""
    from runner.store.db import RunStore
    from runner.store.paths import data_dir

    active: set[str] = set()
    path = data_dir() / "runs.sqlite3"
    if path.exists():
        store = RunStore(path)
        try:
            stale = {r["id"] for r in store.stale_runs()}
            active = {r["id"] for r in store.runs(1000) if r["status"] == "running"} - stale
        finally:
            store.close()
    return check_host(HostRegistry().get(name), client_id(), active, gpu_image=gpu_image)


test_host.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported
