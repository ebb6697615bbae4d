"""Backend construction by name, and the cleanup of runs killed mid-way."""

from __future__ import annotations

import contextlib
import shutil
import time
from pathlib import Path
from typing import Any

from runner.execution.backend import Backend
from runner.execution.local_backend import LocalProcessBackend
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore

BACKENDS = ("docker", "docker-archive", "local")


def make_backend(
    name: str,
    data_dir: Path,
    artifacts: ArtifactStore,
    network: str | None = None,
    pull: str = "missing",
    client: Any = None,
) -> Backend:
    workroot = data_dir / "work"
    workroot.mkdir(parents=True, exist_ok=True)
    if name == "local":
        return LocalProcessBackend(workroot, artifacts)
    from runner.execution.docker_backend import DockerArchiveBackend, DockerBindBackend, docker_client

    client = client or docker_client()
    if name == "docker":
        return DockerBindBackend(client, workroot, artifacts, network=network, pull=pull)
    if name == "docker-archive":
        return DockerArchiveBackend(client, workroot, artifacts, network=network, pull=pull)
    raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")


def recover_interrupted(store: RunStore, data_dir: Path, client: Any = None) -> list[str]:
    """Mark runs whose process died as ``interrupted``; remove their containers and workdirs."""
    recovered = []
    for run in store.stale_runs():
        store.mark_interrupted(run["id"], time.time())
        if str(run.get("backend") or "").startswith("docker"):
            with contextlib.suppress(Exception):  # engine unreachable: the label still finds them later
                from runner.execution.docker_backend import docker_client, remove_labelled

                remove_labelled(client or docker_client(), run["id"])
        shutil.rmtree(data_dir / "work" / run["id"], ignore_errors=True)
        recovered.append(run["id"])
    return recovered
