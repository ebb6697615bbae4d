"""What a host offers (engine, GPUs and their leases), GPU device requests, and the removal of
leftover containers."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import docker
import docker.errors
from docker.types import DeviceRequest

from runner.execution.spec import RUN_LABEL
from runner.hosts import gpu_lease
from runner.hosts.connection import HostLink, connect
from runner.hosts.errors import HostError
from runner.hosts.gpus import GPU_PROBE_IMAGE, SMI_SCRIPT, Gpu, check_declared, gpus_from, probe_engine
from runner.hosts.known_hosts import KnownHosts
from runner.hosts.registry import HostConfig

__all__ = ["GPU_PROBE_IMAGE", "HostReport", "check_host", "device_requests", "remove_leftovers"]

CLIENT_LABEL = "pipeline-designer.client"  # which installation started it (see paths.client_id)
HOST_LABEL = "pipeline-designer.host"


def device_requests(gpu_ids: Iterable[str]) -> list[DeviceRequest]:
    """The ``device_requests`` for exactly these GPUs (``docker run --gpus '"device=0,2"'``)."""
    ids = [str(i) for i in gpu_ids]
    if not ids:
        return []
    return [DeviceRequest(driver="nvidia", device_ids=ids, capabilities=[["gpu"]])]


@dataclass
class HostReport:
    name: str
    reachable: bool
    connect_s: float = 0.0
    route: str = ""  # user@host:port via jump hosts
    engine_version: str = ""
    api_version: str = ""
    os: str = ""
    runtimes: list[str] = field(default_factory=list)
    gpus: list[Gpu] = field(default_factory=list)  # as nvidia-smi on the host lists them
    gpu_note: str = ""  # why none are listed, or what stops containers from using them
    declared_gpus: list[str] = field(default_factory=list)
    gpu_check: str = ""  # the declared set against what exists ("" when it matches)
    leftovers_removed: int = 0
    error: str = ""


def remove_leftovers(client: Any, client_id: str, active_runs: Iterable[str] = ()) -> list[str]:
    """Remove our containers (by label) that belong to no active run; returns their names."""
    active = set(active_runs)
    found = client.containers.list(
        all=True, ignore_removed=True, filters={"label": f"{CLIENT_LABEL}={client_id}"}
    )
    removed = []
    for container in found:
        if container.labels.get(RUN_LABEL) in active:
            continue
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)
            removed.append(container.name)
    return removed


def check_host(
    host: HostConfig,
    client_id: str,
    active_runs: Iterable[str] = (),
    known: KnownHosts | None = None,
    gpu_image: str = GPU_PROBE_IMAGE,
) -> HostReport:
    """Connect, report the engine, GPUs and their leases, clean up leftovers. Key errors propagate."""
    t0 = time.monotonic()
    conn = connect(host, known)
    report = HostReport(host.name, True, connect_s=time.monotonic() - t0, route=conn.route.describe())
    link = HostLink(host, first=conn, owns_first=False)
    try:
        client = conn.docker()
        try:
            version = client.version()
            report.engine_version = str(version.get("Version", ""))
            report.api_version = str(version.get("ApiVersion", ""))
            report.os = f"{version.get('Os', '')}/{version.get('Arch', '')}"
            report.runtimes = sorted((client.info().get("Runtimes") or {}).keys())
            _gpus(report, conn, link, host, client, gpu_image)
            report.leftovers_removed = len(remove_leftovers(client, client_id, active_runs))
        finally:
            client.close()
    finally:
        conn.close()
    return report


def _gpus(report: HostReport, conn: Any, link: HostLink, host: HostConfig, client: Any, image: str) -> None:
    report.gpus, report.gpu_note = gpus_from(conn.run(["sh", "-c", SMI_SCRIPT], timeout=60))
    report.declared_gpus = list(host.gpu_ids)
    report.gpu_check = check_declared(host.gpu_ids, report.gpus)
    if not report.gpus:
        return
    report.gpu_note = probe_engine(client, host.gpu_access, image)
    with contextlib.suppress(HostError):  # no flock there: leases would say so at run time
        held = gpu_lease.show(link, [g.index for g in report.gpus])
        report.gpus = [Gpu(**{**g.__dict__, "leased_by": held.get(g.index, "")}) for g in report.gpus]
