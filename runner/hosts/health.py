"""What a host offers (engine, GPUs), GPU device requests, and the removal of leftover containers."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import docker
import docker.errors
from docker.types import DeviceRequest

from runner.execution.spec import RUN_LABEL
from runner.hosts.known_hosts import KnownHosts
from runner.hosts.registry import HostConfig
from runner.hosts.ssh import docker_client

CLIENT_LABEL = "pipeline-designer.client"  # which installation started it (see paths.client_id)
HOST_LABEL = "pipeline-designer.host"
GPU_PROBE_IMAGE = "ubuntu:24.04"  # the NVIDIA runtime injects nvidia-smi; it needs a glibc image
_SMI_LINE = re.compile(r"^GPU (\d+): (.+?)(?: \(UUID: ([^)]+)\))?$")


def device_requests(gpu_ids: Iterable[str]) -> list[DeviceRequest]:
    """The ``device_requests`` for exactly these GPUs (``docker run --gpus '"device=0,2"'``)."""
    ids = [str(i) for i in gpu_ids]
    if not ids:
        return []
    return [DeviceRequest(driver="nvidia", device_ids=ids, capabilities=[["gpu"]])]


def parse_nvidia_smi(text: str) -> list[str]:
    """``nvidia-smi -L`` output -> ["0: NVIDIA H100 80GB HBM3", ...]."""
    gpus = []
    for line in text.splitlines():
        match = _SMI_LINE.match(line.strip())
        if match:
            gpus.append(f"{match.group(1)}: {match.group(2)}")
    return gpus


@dataclass
class HostReport:
    name: str
    reachable: bool
    connect_s: float = 0.0
    engine_version: str = ""
    api_version: str = ""
    os: str = ""
    runtimes: list[str] = field(default_factory=list)
    gpus: list[str] = field(default_factory=list)
    gpu_note: str = ""
    leftovers_removed: int = 0
    error: str = ""


def probe_gpus(client: Any, image: str = GPU_PROBE_IMAGE) -> tuple[list[str], str]:
    """GPUs the engine can hand to containers: ``nvidia-smi -L`` in a throwaway container."""
    runtimes = sorted((client.info().get("Runtimes") or {}).keys())
    if "nvidia" not in runtimes:
        # --gpus also works through the toolkit's hook without a registered runtime, so probe
        # anyway when the image is there (never pull a probe image onto a host without GPUs).
        try:
            client.images.get(image)
        except docker.errors.DockerException:
            return [], f"no NVIDIA runtime on the engine (runtimes: {', '.join(runtimes) or 'none'})"
    try:
        out = client.containers.run(
            image,
            ["nvidia-smi", "-L"],
            device_requests=[DeviceRequest(driver="nvidia", count=-1, capabilities=[["gpu", "utility"]])],
            remove=True,
            network_mode="none",
        )
    except docker.errors.DockerException as exc:
        return [], f"nvidia-smi in {image} failed: {str(exc).splitlines()[0][:200]}"
    gpus = parse_nvidia_smi(out.decode("utf-8", "replace"))
    return gpus, "" if gpus else "nvidia-smi listed no GPUs"


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
    """Connect, report the engine and its GPUs, clean up leftovers. Host key errors propagate."""
    t0 = time.monotonic()
    client = docker_client(host, known)
    report = HostReport(host.name, True, connect_s=time.monotonic() - t0)
    try:
        version = client.version()
        report.engine_version = str(version.get("Version", ""))
        report.api_version = str(version.get("ApiVersion", ""))
        report.os = f"{version.get('Os', '')}/{version.get('Arch', '')}"
        report.runtimes = sorted((client.info().get("Runtimes") or {}).keys())
        report.gpus, report.gpu_note = probe_gpus(client, gpu_image)
        report.leftovers_removed = len(remove_leftovers(client, client_id, active_runs))
    finally:
        client.close()
    return report
