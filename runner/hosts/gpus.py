"""A host's GPUs as ``nvidia-smi`` on the host lists them (model, memory, what uses them), and
the declared GPU set checked against them.

One command over the host's connection asks both queries; no container or image is needed.
Whether the Docker engine can hand those GPUs to containers is a separate probe (``probe_engine``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import docker.errors
from docker.types import DeviceRequest

from runner.hosts.channels import Completed

QUERY = "index,uuid,name,memory.total,memory.used,utilization.gpu"
# Both queries in one round trip; "NO-SMI" when the host has no nvidia-smi at all.
SMI_SCRIPT = (
    "command -v nvidia-smi >/dev/null 2>&1 || { echo NO-SMI; exit 0; }; "
    f"nvidia-smi --query-gpu={QUERY} --format=csv,noheader,nounits || exit $?; echo ---; "
    "nvidia-smi --query-compute-apps=gpu_uuid,pid --format=csv,noheader 2>/dev/null; exit 0"
)
GPU_PROBE_IMAGE = "ubuntu:24.04"  # the NVIDIA runtime injects nvidia-smi; it needs a glibc image


@dataclass(frozen=True)
class Gpu:
    index: str
    name: str
    memory_mib: int
    used_mib: int
    utilization: int | None  # percent; None when the driver does not say
    processes: int  # compute processes on it now (anyone's)
    uuid: str = ""
    leased_by: str = ""  # holder of our lease on it (runner.hosts.gpu_lease), "" when free

    def describe(self) -> str:
        util = f", {self.utilization}% busy" if self.utilization is not None else ""
        procs = f", {self.processes} process(es)" if self.processes else ""
        lease = f"; leased to {self.leased_by}" if self.leased_by else ""
        return (
            f"{self.index}: {self.name}, {self.memory_mib} MiB ({self.used_mib} MiB used{util}{procs}){lease}"
        )


def _int(text: str) -> int | None:
    try:
        return int(float(text))
    except ValueError:  # "[N/A]", "[Not Supported]"
        return None


def parse_smi(text: str) -> list[Gpu] | None:
    """The output of ``SMI_SCRIPT`` -> GPUs (None: no nvidia-smi on the host)."""
    if text.strip() == "NO-SMI":
        return None
    gpus_part, _, apps_part = text.partition("---")
    per_uuid: dict[str, int] = {}
    for row in csv.reader(io.StringIO(apps_part)):
        if row and row[0].strip():
            per_uuid[row[0].strip()] = per_uuid.get(row[0].strip(), 0) + 1
    gpus = []
    for row in csv.reader(io.StringIO(gpus_part)):
        if len(row) < 6:
            continue
        index, uuid, name, total, used, util = (c.strip() for c in row[:6])
        gpus.append(
            Gpu(index, name, _int(total) or 0, _int(used) or 0, _int(util), per_uuid.get(uuid, 0), uuid)
        )
    return gpus


def gpus_from(done: Completed) -> tuple[list[Gpu], str]:
    """GPUs and a note (why none were listed) from the finished ``SMI_SCRIPT``."""
    found = parse_smi(done.text)
    if found is None:
        return [], "nvidia-smi is not installed on the host"
    if done.status != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return [], f"nvidia-smi failed: {err[-1][:200] if err else f'exit {done.status}'}"
    return found, "" if found else "nvidia-smi listed no GPUs"


def check_declared(declared: Sequence[str], found: Sequence[Gpu]) -> str:
    """What is wrong with the declared set ("" when every declared GPU exists); the CLI and the
    dialog add how to fix it."""
    indices = [g.index for g in found]
    missing = [g for g in declared if g not in indices]
    if missing:
        have = ", ".join(indices) or "none"
        return (
            f"declared {len(declared)} GPU(s) but the host has {len(indices)} ({have}): "
            f"GPU {', '.join(missing)} does not exist"
        )
    if found and not declared:
        return f"{len(found)} GPU(s) found but none declared, so runs do not use them"
    return ""


def probe_engine(client: Any, gpu_access: str, image: str = GPU_PROBE_IMAGE) -> str:
    """Why a container of the engine cannot use the GPUs ("" when it can); never pulls an image."""
    runtimes = sorted((client.info().get("Runtimes") or {}).keys())
    try:
        client.images.get(image)
    except docker.errors.DockerException:
        if "nvidia" in runtimes:
            return ""  # registered runtime: containers get GPUs; nothing to probe without the image
        return f"the engine has no NVIDIA runtime (runtimes: {', '.join(runtimes) or 'none'})"
    env_mode = gpu_access == "env"
    try:
        out = client.containers.run(
            image,
            ["nvidia-smi", "-L"],
            environment={"NVIDIA_VISIBLE_DEVICES": "all"} if env_mode else None,
            device_requests=None
            if env_mode
            else [DeviceRequest(driver="nvidia", count=-1, capabilities=[["gpu", "utility"]])],
            remove=True,
            network_mode="none",
        )
    except docker.errors.DockerException as exc:
        return f"a container of the engine cannot use them: {str(exc).splitlines()[0][:200]}"
    return "" if b"GPU " in out else "a container of the engine sees no GPU"
