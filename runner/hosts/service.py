"""Host management in calls a dialog can make (the Hosts dialog and ``hosts`` CLI share the rules).

offered = offered_key("gpu1")          # the first hop whose key is not trusted (else the target)
trust_offered("gpu1", offered)         # only after the user accepted it; then ask again: next hop
report = test_host("gpu1")             # engine, GPUs, leftovers removed

A host behind ProxyJump has one key per hop; each is trusted on its own, in hop order
(reaching hop 2 needs hop 1 trusted and logged in to).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import paramiko

from runner.hosts.connection import target_host
from runner.hosts.health import GPU_PROBE_IMAGE, HostReport, check_host
from runner.hosts.hops import route_keys
from runner.hosts.known_hosts import KnownHosts, fingerprint
from runner.hosts.paths import client_id
from runner.hosts.registry import GPU_ACCESS as GPU_ACCESS  # for the host form, via runner.api.hosts
from runner.hosts.registry import HostConfig, HostRegistry
from runner.hosts.secrets import KINDS, delete_secret, set_secret
from runner.hosts.ssh_config import Route, resolve


@dataclass(frozen=True)
class OfferedKey:
    host: str  # registry name
    host_id: str  # known_hosts name, e.g. "[10.0.0.5]:2222"
    key_type: str
    fingerprint: str  # SHA256:...
    trusted: tuple[str, ...]  # fingerprints we trust for it now
    key: paramiko.PKey
    hop: int = 1  # which hop of the route offered it (1-based) ...
    hops: int = 1  # ... of how many (jump hosts, then the target)
    label: str = ""  # that hop as the ssh config names it: "bastion (10.0.0.1:22)"

    @property
    def is_target(self) -> bool:
        return self.hop == self.hops

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


def describe_route(url: str, identity: str | None = None) -> str:
    """How ``url`` resolves through the ssh config (no network): ``user@host:port via jump``;
    raises HostConfigError for a route we cannot follow."""
    return resolve(url, identity).describe()


def route_of(name: str) -> Route:
    host = HostRegistry().get(name)
    return resolve(host.url, host.identity)


def offered_keys(target: str | HostConfig) -> list[OfferedKey]:
    """The keys of the route's hops up to the first one not trusted (all when all are).

    ``target``: a registered host, or an ad-hoc one (``"ssh://alias"``, a HostConfig), as
    ``connection.connect`` takes it.
    """
    host = target_host(target)
    name = host.name
    route = resolve(host.url, host.identity)
    known = KnownHosts()
    seen = route_keys(route, name, known)
    return [
        OfferedKey(
            name,
            hop.host_id,
            key.get_name(),
            fingerprint(key),
            tuple(fingerprint(k) for k in known.lookup_id(hop.host_id).values()),
            key,
            index,
            len(route.hops),
            hop.label,
        )
        for index, (hop, key) in enumerate(seen, 1)
    ]


def offered_key(target: str | HostConfig) -> OfferedKey:
    """The key to decide on next: the first hop's not trusted, else the target's (known)."""
    return offered_keys(target)[-1]


def trust_offered(target: str | HostConfig, offered: OfferedKey, replace: bool = False) -> None:
    """Store the key the user accepted; a changed key needs ``replace`` (else HostKeyChangedError)."""
    target_host(target)  # a registered host, or an ad-hoc ssh:// target
    KnownHosts().trust_id(offered.host_id, offered.key, replace=replace)


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
    host = HostRegistry().get(name)
    if host.kind == "ray":  # its nodes, GPUs and what is free (runner.ray.service.ClusterReport)
        from runner.ray.service import check_cluster

        return check_cluster(host, client_id(), active)  # type: ignore[return-value]
    return check_host(host, client_id(), active, gpu_image=gpu_image)


def use_found_gpus(name: str, report: HostReport) -> HostConfig:
    """Declare the GPUs the host's nvidia-smi listed (``report``) as those runs may use."""
    host = HostRegistry().get(name)
    updated = replace(host, gpus=len(report.gpus))  # nvidia-smi numbers them 0..n-1
    HostRegistry().add(updated, replace=True)
    report.declared_gpus, report.gpu_check = list(updated.gpu_ids), ""
    return updated


test_host.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported
