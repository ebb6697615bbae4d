"""Containers no run needs any more, on the local engine and on the remote hosts runs used:
what ``pipeline-designer gc`` removes (and counts for ``--dry-run``).

On the local engine a container is left over when its run is about to be deleted or its
runner is dead (a killed run's containers, stopped by their dead-man switch already:
runner.execution.deadman). On a remote host, as at a run's connect (runner.hosts.health
``remove_leftovers``), every container of this installation that belongs to no run in
progress. Only the hosts that the deleted runs or killed (``interrupted``) runs used are
visited; one that cannot be reached is named, and its leftovers go at its next connect.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from runner.execution.spec import RUN_LABEL
from runner.store.db import RunStore
from runner.store.liveness import runner_alive

LOCAL = "the local engine"


@dataclass
class Leftovers:
    found: dict[str, list[str]] = field(default_factory=dict)  # where -> container names
    unreachable: dict[str, str] = field(default_factory=dict)  # host -> why

    @property
    def count(self) -> int:
        return sum(len(names) for names in self.found.values())


def sweep(store: RunStore, deleted: Iterable[str], remove: bool, client: Any = None) -> Leftovers:
    """The leftover containers (removed when ``remove``, only counted otherwise), the remote
    hosts first; ``deleted``: the runs gc deletes. An engine that cannot be reached is skipped
    (the labels still find its containers later)."""
    deleted = set(deleted)
    rows = store.run_rows()
    active = {r["id"] for r in rows if r["status"] == "running" and runner_alive(r) is not False}
    dead = {r["id"] for r in rows if runner_alive(r) is False}
    killed = {r["id"] for r in rows if r["status"] in ("interrupted", "running") and r["id"] in dead}
    out = Leftovers()
    hosts = _remote_hosts(store.hosts_of_runs(deleted | killed))
    if hosts:
        with ThreadPoolExecutor(len(hosts), thread_name_prefix="gc-host") as pool:
            done = {h.name: pool.submit(_on_host, h, active, remove) for h in hosts}
        for name, future in done.items():
            names, why = future.result()
            if why:
                out.unreachable[name] = why
            elif names:
                out.found[name] = names
    with contextlib.suppress(Exception):  # no local engine: nothing of ours runs there
        names = _on_local_engine(client, (dead | deleted) - active, remove)
        if names:
            out.found[LOCAL] = names
    return out


def _remote_hosts(names: set[str]) -> list[Any]:
    """The registered SSH hosts among these (this machine's name and Ray clusters left out:
    a cluster's leftovers go when a run next connects to it)."""
    from runner.hosts.registry import HostRegistry

    names = names - {socket.gethostname(), "local"}
    if not names:
        return []
    try:
        registered = HostRegistry().load()
    except Exception:  # an unreadable registry: `hosts list` says what is wrong with it
        return []
    return [registered[n] for n in sorted(names) if n in registered and registered[n].kind == "ssh"]


def _on_host(host: Any, active: set[str], remove: bool) -> tuple[list[str], str]:
    """(container names, "") or ([], why the host could not be reached)."""
    from runner.hosts.errors import HostError
    from runner.hosts.health import CLIENT_LABEL, remove_leftovers
    from runner.hosts.known_hosts import HostKeyError
    from runner.hosts.paths import client_id
    from runner.hosts.ssh import docker_client

    try:
        engine = docker_client(host, timeout=30)
    except (HostError, HostKeyError) as exc:
        return [], str(exc)
    try:
        if remove:
            return remove_leftovers(engine, client_id(), active), ""
        ours = engine.containers.list(
            all=True, ignore_removed=True, filters={"label": f"{CLIENT_LABEL}={client_id()}"}
        )
        return [c.name for c in ours if c.labels.get(RUN_LABEL) not in active], ""
    except Exception as exc:  # the connection dropped half-way
        return [], f"host {host.name!r}: {exc}"
    finally:
        engine.close()


def _on_local_engine(client: Any, runs: set[str], remove: bool) -> list[str]:
    """Containers of these runs; those a remote backend started are its host's (counted there,
    when a registered host is this very machine)."""
    from runner.execution.docker_backend import docker_client
    from runner.hosts.health import HOST_LABEL

    engine = client or docker_client()
    # One request: the engine's summaries carry labels and names, while containers.list would
    # inspect every run container on the engine (any user's, any run's), one request each.
    found = engine.api.containers(all=True, filters={"label": RUN_LABEL})
    names = []
    for summary in found:
        labels = summary.get("Labels") or {}
        if labels.get(RUN_LABEL) in runs and HOST_LABEL not in labels:
            if remove:
                with contextlib.suppress(Exception):  # removed meanwhile
                    engine.api.remove_container(summary["Id"], force=True)
            names.append(summary["Names"][0].lstrip("/"))
    return names
