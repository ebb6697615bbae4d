"""A Ray cluster as a run target: connect a run to it, or test it (the Hosts dialog, ``hosts test``).

Both reach the head over the host's SSH route (``runner.hosts.connection``: ssh config,
ProxyJump, our known_hosts, keyring secrets only when needed), start the driver there and
remove containers of ours that no active run owns from every worker node.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.hosts.connection import connect
from runner.hosts.health import CLIENT_LABEL
from runner.hosts.registry import HostConfig
from runner.ray.backend import RayBackend, remove_ours
from runner.ray.link import DriverLink
from runner.ray.remote.cluster import uses_slots, workers
from runner.ray.remote.protocol import SLOT_RESOURCE
from runner.store.artifacts import ArtifactStore


@dataclass
class ClusterNode:
    """One node of the cluster as the Hosts dialog lists it (free figures: None when unknown)."""

    id: str
    address: str
    hostname: str
    alive: bool
    head: bool
    worker: bool
    cpus: float
    gpus: float
    slots: float
    free_cpus: float | None = None
    free_gpus: float | None = None
    free_slots: float | None = None
    docker: str = ""  # the node's engine version, or why there is none
    death: str = ""


@dataclass
class ClusterReport:
    name: str
    reachable: bool
    kind: str = "ray"
    connect_s: float = 0.0
    ray_version: str = ""
    python: str = ""
    nodes: list[ClusterNode] = field(default_factory=list)
    leftovers_removed: int = 0
    notes: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def gpus(self) -> float:
        return sum(n.gpus for n in self.nodes if n.worker)

    @property
    def free_gpus(self) -> float:
        return sum(n.free_gpus or 0 for n in self.nodes if n.worker)


def _link(host: HostConfig) -> DriverLink:
    conn = connect(host)
    link = DriverLink(host, conn)
    try:
        link.start()
    except BaseException:
        conn.close()
        raise
    return link


def _local_engine() -> Any:
    """This machine's engine (images only here are shipped from it), or None without one."""
    try:
        from runner.execution.docker_backend import docker_client

        client = docker_client()
        client.ping()
        return client
    except Exception:  # no engine here: every image is pulled by the workers
        return None


def summary(host: HostConfig, nodes: list[dict[str, Any]], ready: dict[str, Any]) -> list[str]:
    able = workers(nodes)
    gpus = sum(n["gpus"] for n in able)
    notes = [
        f"Ray cluster {host.name}: {len(able)} worker node(s), {gpus:g} GPU(s) "
        f"(Ray {ready.get('ray')}, Python {ready.get('python')} on the head)"
    ]
    if able and not uses_slots(nodes):
        notes.append(
            f"no node of {host.name} offers the {SLOT_RESOURCE} resource: each pipeline node takes "
            "one CPU of its worker (docs/scale-out.md)"
        )
    return notes


def connect_cluster(
    host: HostConfig,
    workroot: Path,
    artifacts: ArtifactStore,
    client_id: str,
    active_runs: Iterable[str],
    local_client: Any = None,
    network: str | None = None,
    pull: str = "missing",
) -> RayBackend:
    """The backend of a run on ``host``; raises the typed host errors, or RayClusterError."""
    link = _link(host)
    local = local_client if local_client is not None else _local_engine()
    backend = RayBackend(host, link, workroot, artifacts, client_id, local, network, pull)
    try:
        backend.notes.extend(summary(host, backend.nodes(), link.ready))
        removed, failed = remove_ours(link, [[CLIENT_LABEL, client_id]], list(active_runs))
    except BaseException:
        backend.close()
        raise
    backend.notes += cleanup_notes(host.name, removed, failed)
    return backend


def cleanup_notes(name: str, removed: list[str], failed: list[str]) -> list[str]:
    notes = [f"Ray cluster {name}: removed {len(removed)} leftover container(s): {', '.join(removed)}"]
    notes = notes if removed else []
    return notes + [f"Ray cluster {name}: could not look for leftover containers on {f}" for f in failed]


def check_cluster(host: HostConfig, client_id: str, active_runs: Iterable[str] = ()) -> ClusterReport:
    """Connect, list the nodes with their GPUs and engines, clean up leftovers."""
    t0 = time.monotonic()
    link = _link(host)
    report = ClusterReport(host.name, True, connect_s=time.monotonic() - t0)
    try:
        report.ray_version, report.python = str(link.ready.get("ray")), str(link.ready.get("python"))
        facts = link.request("facts")["facts"]
        listing = link.request("nodes")["nodes"]
        able = {n["id"] for n in workers(listing)}
        for n in listing:
            fact = facts.get(n["id"]) or {}
            report.nodes.append(
                ClusterNode(
                    n["id"], n["address"], n["hostname"], n["alive"], n["head"], n["id"] in able,
                    n["cpus"], n["gpus"], n["slots"], n["free_cpus"], n["free_gpus"], n["free_slots"],
                    str(fact.get("docker") or fact.get("error") or ""), n.get("death", ""),
                )
            )  # fmt: skip
        report.notes = summary(host, listing, link.ready)
        removed, failed = remove_ours(link, [[CLIENT_LABEL, client_id]], list(active_runs))
        report.leftovers_removed = len(removed)
        report.notes += cleanup_notes(host.name, [], failed)
    finally:
        link.close()
        link.conn.close()
    return report


def _count(free: float | None, total: float) -> str:
    return f"{total:g}" if free is None else f"{free:g}/{total:g} free"


def describe(report: ClusterReport, with_nodes: bool = True) -> list[str]:
    """The report in lines (``hosts test``; the Hosts dialog, which has the nodes in a table)."""
    lines = [f"Ray cluster {report.name}: connected in {report.connect_s:.1f} s (Ray {report.ray_version}, "
             f"Python {report.python} on the head)"]  # fmt: skip
    for n in report.nodes if with_nodes else ():
        role = "head" if n.head and not n.worker else ("head+worker" if n.head else "worker")
        if not n.alive:
            lines.append(f"  {n.hostname} {n.address} ({n.id[:12]}): DEAD {n.death}".rstrip())
            continue
        figures = f"GPUs {_count(n.free_gpus, n.gpus)}, CPUs {_count(n.free_cpus, n.cpus)}"
        if n.slots:
            figures += f", slots {_count(n.free_slots, n.slots)}"
        engine = f", Docker {n.docker}" if n.worker and n.docker else ""
        lines.append(f"  {role} {n.hostname} {n.address} ({n.id[:12]}): {figures}{engine}")
    lines += [f"  {note}" for note in report.notes[1:]]
    if report.leftovers_removed:
        lines.append(f"  removed {report.leftovers_removed} leftover container(s)")
    return lines
