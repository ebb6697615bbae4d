"""Endpoint containers on the local Docker engine: create, ship the code, start, probe, remove.

Reuses the Docker backend's image check, attach-before-start and log reader (``_DockerBase``),
and the code snapshot rules of ``runner.execution.code`` (same files as /valohai/repository
of a step). Files go in with ``put_archive``, so nothing on the host has to outlive the run.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import docker.errors

from runner.deploy.endpoint import (
    CONTAINER_REPO,
    ENDPOINT_LABEL,
    KEY_LABEL,
    OWNER_HOST_LABEL,
    OWNER_PID_LABEL,
    WSGI_SCRIPT,
    EndpointSpec,
)
from runner.execution.backend import Handle
from runner.execution.code import add_tree_to_tar
from runner.execution.docker_backend import _add_dir, _DockerBase
from runner.execution.spec import RUN_LABEL, ExecutionSpec
from runner.store.artifacts import ArtifactStore
from runner.store.db import pid_alive

_WSGI_SOURCE = Path(__file__).with_name("wsgi_serve.py")


class EndpointEngine(_DockerBase):
    """The local engine, as the step backends use it, plus what endpoints need (ports, probing)."""

    name = "endpoint"

    def __init__(self, client: Any, artifacts: ArtifactStore, pull: str = "missing") -> None:
        # network None: the engine's default bridge. Publishing a port needs a bridge network,
        # so an endpoint never runs on the run's network (tests run steps with network "none").
        super().__init__(client, Path(tempfile.gettempdir()), artifacts, network=None, pull=pull)

    def launch(self, spec: EndpointSpec, wakeup: threading.Event | None) -> Handle:
        """Create the container, copy the code and files in, start it with its log reader."""
        self._ensure_image(spec.image)
        with contextlib.suppress(docker.errors.NotFound):  # same run id + node: a leftover
            self.client.containers.get(spec.container_name).remove(force=True)
        container = self.client.containers.create(
            spec.image,
            command=spec.argv,
            entrypoint="",
            working_dir=CONTAINER_REPO,
            environment=spec.env,
            labels=spec.labels,
            name=spec.container_name,
            # 127.0.0.1 only; None lets the engine pick a free host port.
            ports={f"{spec.port}/tcp": ("127.0.0.1", None)},
            init=self.init,
            detach=True,
        )
        # The log reader and Handle are the step backends'; they never look at the spec.
        handle = Handle(cast(ExecutionSpec, spec), wakeup=wakeup)
        handle.state["container"] = container
        try:
            with tempfile.TemporaryFile() as tarball:
                self._pack(spec, tarball)
                tarball.seek(0)
                container.put_archive("/", tarball)
        except Exception:
            self.cleanup(handle)
            raise
        self._start(handle, container)
        return handle

    def _pack(self, spec: EndpointSpec, fileobj: Any) -> None:
        def readable(info: tarfile.TarInfo) -> tarfile.TarInfo:
            info.mode = 0o644  # store files are read-only; a server may rewrite its model
            info.uid = info.gid = 0
            return info

        with tarfile.open(fileobj=fileobj, mode="w") as tar:
            _add_dir(tar, CONTAINER_REPO.lstrip("/"))
            add_tree_to_tar(tar, spec.repository, CONTAINER_REPO.lstrip("/"))
            for f in spec.files:  # after the code: a file wins over a repository file of that path
                arcname = f"{CONTAINER_REPO.lstrip('/')}/{f.path}"
                tar.add(self.artifacts.path_for(f.sha256), arcname=arcname, filter=readable)
            if spec.wsgi:
                tar.add(_WSGI_SOURCE, arcname=WSGI_SCRIPT.lstrip("/"), filter=readable)

    def host_port(self, handle: Handle, port: int) -> int | None:
        """The host port the engine picked; None once the container has exited (no bindings)."""
        container = handle.state["container"]
        container.reload()
        bindings = (container.ports or {}).get(f"{port}/tcp") or []
        return int(bindings[0]["HostPort"]) if bindings else None

    def stop(self, handle: Handle, grace: float) -> None:
        """Stop (SIGTERM, then kill after ``grace``) and remove."""
        self.terminate(handle, grace)
        self.cleanup(handle)

    def replace(self, key: str) -> list[str]:
        """Remove earlier endpoints of the same yaml + pipeline + node + endpoint; their names."""
        return _remove(
            self.client.containers.list(
                all=True, ignore_removed=True, filters={"label": f"{KEY_LABEL}={key}"}
            )
        )

    def remove_orphans(self) -> list[str]:
        return remove_orphan_endpoints(self.client)


def remove_orphan_endpoints(client: Any) -> list[str]:
    """Remove endpoint containers whose owning process (on this host) is gone; their names.

    Endpoints outlive their run, so the stale-run cleanup does not find them all: a process
    that ends without stopping its endpoints (killed, crashed) leaves them to this.
    """
    host = socket.gethostname()
    orphans = []
    for container in client.containers.list(all=True, ignore_removed=True, filters={"label": ENDPOINT_LABEL}):
        labels = container.labels or {}
        pid = labels.get(OWNER_PID_LABEL, "")
        if labels.get(OWNER_HOST_LABEL) == host and pid.isdigit() and not pid_alive(int(pid)):
            orphans.append(container)
    return _remove(orphans)


def _remove(containers: list[Any]) -> list[str]:
    names = []
    for container in containers:
        with contextlib.suppress(docker.errors.APIError):
            container.remove(force=True)
            names.append(f"{container.name} (run {container.labels.get(RUN_LABEL, '?')})")
    return names


def answers_http(port: int, timeout: float = 1.0) -> bool:
    """Any HTTP response (404 too) means the server is up; a reset or refusal means not yet.

    The engine's port proxy accepts connections before the server listens and then drops
    them, so only a parsed status line counts.
    """
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/")
        conn.getresponse().read(0)
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def wait_until_serving(
    handle: Handle, port: int, timeout: float, aborted: Callable[[], bool], interval: float = 0.2
) -> str | None:
    """Poll until the endpoint answers: None when it does, else why not ("exited", "timeout", "aborted")."""
    deadline = time.monotonic() + timeout
    while True:
        if aborted():
            return "aborted"
        if handle.finished:
            return "exited"
        if answers_http(port):
            return None
        if time.monotonic() > deadline:
            return "timeout"
        handle.wait(interval)
