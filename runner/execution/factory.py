"""Backend construction by name, and the cleanup of runs killed mid-way."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

from runner.execution.backend import Backend
from runner.execution.local_backend import LocalProcessBackend
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore
from runner.store.liveness import runner_alive

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


def recover_interrupted(
    store: RunStore, data_dir: Path, client: Any = None, docker: bool = True
) -> list[str]:
    """Mark runs whose process died as ``interrupted`` (their ids); remove what any run of this
    store whose process is gone left: its containers on the local engine (stopped by their
    dead-man switch already, runner.execution.deadman) and its work folders. Remote hosts remove
    their leftovers at the next connect."""
    recovered = store.mark_dead_runs()
    gone: dict[str, bool] = {}

    def dead(run_id: str) -> bool:
        if run_id not in gone:
            run = store.run(run_id)
            gone[run_id] = run is not None and runner_alive(run) is False
        return gone[run_id]

    work = data_dir / "work"
    for folder in work.iterdir() if work.is_dir() else ():
        if folder.is_dir() and dead(folder.name):
            shutil.rmtree(folder, ignore_errors=True)
    if docker:
        with contextlib.suppress(Exception):  # engine unreachable: the label still finds them later
            from runner.execution.docker_backend import docker_client, remove_labelled

            engine = client or docker_client()
            for run_id in labelled_runs(engine):
                if dead(run_id):
                    remove_labelled(engine, run_id)
    return recovered


def labelled_runs(client: Any) -> set[str]:
    """The run ids of the runner's containers on an engine (any run, any home)."""
    from runner.execution.spec import RUN_LABEL

    # The list's own labels: containers.list would inspect every container on the engine.
    found = client.api.containers(all=True, filters={"label": RUN_LABEL})
    return {(c.get("Labels") or {}).get(RUN_LABEL, "") for c in found} - {""}


def make_host_pool(
    names: list[str],
    data_dir: Path,
    artifacts: ArtifactStore,
    store: RunStore,
    network: str | None = None,
    pull: str = "missing",
    local_client: Any = None,
    run_id: str = "",
) -> Any:
    """Connect to the run's hosts (in parallel, each within the connect timeout) and pool them.

    A host whose key is unknown or changed stops the start (HostKeyError). An unreachable host
    is left out with a note when others remain, otherwise HostError names every reason.
    Leftover containers of ours on each host (no active run) are removed now. GPUs of a host
    are leased on the host itself for ``run_id`` (runner.hosts.gpu_lease), shared with other runs.
    """
    from concurrent.futures import ThreadPoolExecutor

    from runner.execution.docker_backend import DockerBindBackend, docker_client
    from runner.execution.placement import Slot
    from runner.execution.remote_backend import HostPool, RemoteBackend
    from runner.execution.spec import container_name
    from runner.hosts.connection import HostLink
    from runner.hosts.errors import HostError
    from runner.hosts.gpu_lease import GpuLeases
    from runner.hosts.health import remove_leftovers
    from runner.hosts.known_hosts import HostKeyError
    from runner.hosts.paths import client_id
    from runner.hosts.registry import HostRegistry
    from runner.hosts.ssh import docker_client as ssh_client

    names = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    registry = HostRegistry()
    configs = {n: registry.get(n) for n in names if n != "local"}
    workroot = data_dir / "work"
    workroot.mkdir(parents=True, exist_ok=True)
    clusters = [n for n, cfg in configs.items() if cfg.kind == "ray"]
    if clusters:  # Ray places every node of the run itself: a cluster is the run's only target
        if len(names) > 1:
            raise HostError(f"{clusters[0]} is a Ray cluster: run on it alone (--host {clusters[0]})")
        from runner.ray.service import connect_cluster

        return connect_cluster(
            configs[clusters[0]],
            workroot,
            artifacts,
            client_id(),
            _active_runs(store),
            local_client,
            network,
            pull,
        )
    clients: dict[str, Any] = {}
    errors: dict[str, BaseException] = {}
    with ThreadPoolExecutor(max(len(configs), 1), thread_name_prefix="connect") as pool:
        links = {n: HostLink(cfg) for n, cfg in configs.items()}  # one connection per host, shared
        futures = {n: pool.submit(ssh_client, cfg, link=links[n]) for n, cfg in configs.items()}
        for name, future in futures.items():
            try:
                clients[name] = future.result()
            except (HostError, HostKeyError) as exc:
                errors[name] = exc
    if any(isinstance(e, HostKeyError) for e in errors.values()) or (
        errors and not clients and "local" not in names
    ):
        for client in clients.values():
            client.close()
        for link in links.values():
            link.close()
        key_error = next((e for e in errors.values() if isinstance(e, HostKeyError)), None)
        if key_error is not None:
            raise key_error
        if len(errors) == 1:
            raise next(iter(errors.values()))
        raise HostError("no host of this run is reachable: " + "; ".join(str(e) for e in errors.values()))
    for name in errors:
        links[name].close()
    notes = [f"left out of this run: {exc}" for exc in errors.values()]
    active = _active_runs(store)
    cid = client_id()
    backends: dict[str, Any] = {}
    slots = []
    for name in names:
        if name == "local":
            local = DockerBindBackend(local_client or docker_client(), workroot, artifacts, network, pull)
            backends[name] = local
            slots.append(Slot("local", os.cpu_count() or 1))
        elif name in clients:
            cfg = configs[name]
            removed = remove_leftovers(clients[name], cid, active)
            if removed:
                notes.append(
                    f"host {name}: removed {len(removed)} leftover container(s): {', '.join(removed)}"
                )
            backends[name] = RemoteBackend(
                cfg, clients[name], workroot, artifacts, cid, network, pull, link=links[name]
            )
            slots.append(Slot(name, cfg.max_parallel, cfg.gpu_ids, cfg.environments))
    with_gpus = {n: links[n] for n in clients if configs[n].gpu_ids}
    leases = GpuLeases(
        with_gpus,
        {n: configs[n].gpu_ids for n in with_gpus},
        run_id,
        container_of=lambda unit: container_name(run_id, unit),
    )
    return HostPool(backends, slots, notes, leases)


def _active_runs(store: RunStore) -> set[str]:
    """Runs whose process still runs them (their containers are not leftovers)."""
    active = {r["id"] for r in store.runs(1000) if r["status"] == "running"}
    return active - {r["id"] for r in store.stale_runs()}
