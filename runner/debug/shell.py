"""A shell in a node's world: ``docker exec`` into its running container, or a debug container of
the same image with the execution's world rebuilt from the store (runner.debug.world).

    shell = open_shell("latest/train")          # ShellError with the reason if it cannot
    code = shell.run(["ls", "/valohai/inputs"], sink)   # or: term = shell.terminal()
    shell.close()

A debug container is labelled ``pipeline-designer.debug-of=<execution id>``, is never recorded as
an execution, and is removed when its shell ends (auto-remove: also when the connection drops).
A remote node's shell goes through that host's SSH connection to its Docker engine.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import docker.errors

from runner.debug.session import (
    SHELL_ARGV,
    TERM_ENV,
    ContainerTerminal,
    ExecTerminal,
    Sink,
    TerminalSession,
    exec_command,
    run_container,
)
from runner.debug.world import ShellError, World, load_world, missing_files, split_target, write_world
from runner.events import RUNNING
from runner.execution.spec import CONTAINER_ROOT, container_env, container_name
from runner.store.artifacts import ArtifactStore
from runner.store.db import pid_alive

DEBUG_LABEL = "pipeline-designer.debug-of"
# host:pid of the process holding the shell. A tty container outlives its attached client (closing
# the connection does not end the shell), so the next shell removes those whose holder is gone.
OWNER_LABEL = "pipeline-designer.debug-owner"
_LOCAL_MOUNTS = {"repository": "rw", "inputs": "ro", "config": "ro", "outputs": "ro", "runner": "ro"}


class Shell:
    """Where a shell of one execution opens; ``run`` or ``terminal`` it, then ``close``."""

    def __init__(
        self,
        world: World,
        client: Any,
        artifacts: ArtifactStore,
        workroot: Path,
        labels: dict[str, str] | None = None,
        network: str | None = None,
        own_client: bool = False,
    ) -> None:
        self.world = world
        self.client = client
        self.artifacts = artifacts
        self.workroot = workroot
        self.labels = labels or {}
        self.network = network
        self._own_client = own_client
        self.live = self._live_container()

    # what it is --------------------------------------------------------------
    def _live_container(self) -> Any | None:
        if self.world.status != RUNNING:
            return None
        try:
            container = self.client.containers.get(container_name(self.world.spec.run_id, self.world.node))
        except docker.errors.NotFound:
            return None
        return container if container.status == "running" else None

    @property
    def banner(self) -> str:
        w = self.world
        where = "" if w.host == "local" else f" on host {w.host}"
        code = w.execution.get("exit_code")
        state = w.status + (f", exit code {code}" if code not in (None, 0) else "")
        head = f"run {w.spec.run_id}, node {w.node} ({state})"
        if self.live is not None:
            return f"shell in the running container of {head}{where}\n"
        lines = [
            f"shell in a debug container of {head}{where}, image {w.spec.image}",
            "  /valohai/inputs, /valohai/config (parameters.json, inputs.json, execution.json), "
            "/valohai/outputs (its outputs, read-only)",
            f"  code in /valohai/repository: {w.code_note}",
        ]
        gone = missing_files(w, self.artifacts)
        if gone:
            lines.append(
                f"  no longer stored, so left out: {', '.join(gone[:5])}" + (" ..." if len(gone) > 5 else "")
            )
        lines.append("  this container is removed when the shell ends")
        return "\n".join(lines) + "\n"

    # the two forms -------------------------------------------------------------
    def run(self, argv: list[str], sink: Sink) -> int:
        """Run ``argv`` in the node's world, its output to ``sink``; returns its exit status."""
        if self.live is not None:
            return exec_command(self.client, self.live, argv, sink)
        container, cleanup = self._debug_container(argv, tty=False)
        try:
            return run_container(self.client, container, sink)
        finally:
            cleanup()

    def terminal(self, argv: list[str] | None = None) -> TerminalSession:
        """An interactive shell (or ``argv``) with a pseudo-terminal."""
        if self.live is not None:
            return ExecTerminal(self.client, self.live, self.banner, argv)
        container, cleanup = self._debug_container(argv or SHELL_ARGV, tty=True)
        return ContainerTerminal(self.client, container, self.banner, cleanup)

    def close(self) -> None:
        if self._own_client:
            with contextlib.suppress(Exception):
                self.client.close()

    # the debug container --------------------------------------------------------
    def _debug_container(self, argv: list[str], tty: bool) -> tuple[Any, Any]:
        spec = self.world.spec
        try:
            self.client.images.get(spec.image)
        except docker.errors.ImageNotFound:
            raise ShellError(
                f"image {spec.image} is no longer on the engine{self._where()}; pull or build it again"
            ) from None
        token = secrets.token_hex(4)
        local = self.world.host == "local"
        workdir = self.workroot / f"{spec.execution_id}-{token}"
        if local:
            write_world(self.world, workdir, self.artifacts, link=True)
        volumes = {
            str(workdir / sub): {"bind": f"{CONTAINER_ROOT}/{sub}", "mode": mode}
            for sub, mode in _LOCAL_MOUNTS.items()
        }
        api = self.client.api
        try:
            # The low-level call with detach=False (its default): stdin_open then also sets
            # StdinOnce, so stdin closes, and the shell ends, when the attached client goes away.
            created = api.create_container(
                spec.image,
                command=argv,
                entrypoint="",
                working_dir=f"{CONTAINER_ROOT}/repository",
                environment={**container_env(spec), **TERM_ENV},
                labels={DEBUG_LABEL: spec.execution_id, OWNER_LABEL: _owner(), **self.labels},
                name=f"vh-debug-{token}",
                tty=tty,
                stdin_open=tty,
                host_config=api.create_host_config(
                    binds=volumes if local else None,
                    auto_remove=tty,
                    init=True,
                    network_mode=self.network,
                ),
            )
            container = self.client.containers.get(created["Id"])
            if not local:
                self._upload(container)
        except Exception:
            shutil.rmtree(workdir, ignore_errors=True)
            raise

        def cleanup() -> None:
            shutil.rmtree(workdir, ignore_errors=True)

        return container, cleanup

    def _upload(self, container: Any) -> None:
        """A remote engine cannot see our files: the world goes in as an archive before start."""
        with tempfile.TemporaryDirectory(dir=self.workroot) as tmp, tempfile.TemporaryFile() as tarball:
            write_world(self.world, Path(tmp), self.artifacts, link=False)
            with tarfile.open(fileobj=tarball, mode="w") as tar:
                for sub in _LOCAL_MOUNTS:
                    tar.add(Path(tmp) / sub, arcname=f"valohai/{sub}")
            tarball.seek(0)
            container.put_archive("/", tarball)

    def _where(self) -> str:
        return "" if self.world.host == "local" else f" of host {self.world.host}"


def open_shell(
    target: str,
    home: Path | None = None,
    client: Any = None,
    labels: dict[str, str] | None = None,
    network: str | None = None,
) -> Shell:
    """The shell of ``RUN/NODE``; connects to the node's engine (local, or its host over SSH)."""
    from runner.api import open_store

    run_ref, node = split_target(target)
    home, store, artifacts = open_store(home)
    try:
        world = load_world(store, run_ref, node)
    finally:
        store.close()
    own = client is None or world.host != "local"
    if world.host != "local":
        client = _host_client(world.host)
    elif client is None:
        from runner.execution.docker_backend import docker_client

        try:
            client = docker_client()
            client.ping()
        except Exception as exc:
            raise ShellError(f"the Docker engine is unreachable: {exc}") from None
    workroot = home / "debug"
    workroot.mkdir(parents=True, exist_ok=True)
    _sweep(workroot)
    remove_orphans(client)
    return Shell(world, client, artifacts, workroot, labels, network, own_client=own)


def _host_client(name: str) -> Any:
    from runner.hosts.known_hosts import HostKeyError
    from runner.hosts.registry import HostConfigError, HostRegistry
    from runner.hosts.ssh import HostError, docker_client

    try:
        return docker_client(HostRegistry().get(name))
    except (HostError, HostKeyError, HostConfigError) as exc:
        raise ShellError(f"cannot reach host {name!r} where the node ran: {exc}") from None


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def remove_orphans(client: Any) -> list[str]:
    """Debug containers of this machine whose holding process has ended (killed, crashed)."""
    removed = []
    with contextlib.suppress(Exception):
        found = client.containers.list(all=True, ignore_removed=True, filters={"label": OWNER_LABEL})
        for container in found:
            host, _, pid = container.labels.get(OWNER_LABEL, "").rpartition(":")
            if host != socket.gethostname() or not pid.isdigit() or pid_alive(int(pid)):
                continue
            with contextlib.suppress(docker.errors.APIError):
                container.remove(force=True)
                removed.append(container.name)
    return removed


def _sweep(workroot: Path, older_than: float = 24 * 3600) -> None:
    """Folders of debug containers whose shell process died without cleaning up."""
    now = time.time()
    for path in workroot.iterdir():
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > older_than:
                shutil.rmtree(path, ignore_errors=True)
