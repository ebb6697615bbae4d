"""Remote Docker hosts over SSH: the archive backend per host, and a pool that dispatches on
``spec.host`` (set by the executor from the Placer), so the executor sees one Backend.

Everything a remote step needs travels through the Docker API (put/get archive), image pulls
happen on the host; both report progress. Connection failures become ``HostError`` naming
the host and the stage (pulling, sending, starting, fetching outputs).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker.errors

from runner.execution.backend import Handle, Poll, Warn
from runner.execution.docker_backend import DockerArchiveBackend, ImageMissingError
from runner.execution.placement import Placer, Slot
from runner.execution.spec import ExecutionSpec, OutputFile
from runner.hosts.connection import HostLink
from runner.hosts.errors import HostError
from runner.hosts.health import CLIENT_LABEL, HOST_LABEL, device_requests
from runner.hosts.registry import HostConfig
from runner.store.artifacts import ArtifactStore
from runner.store.space import DiskFull
from runner.sysmetrics.gpu_watch import GpuWatch

Report = Callable[[str, str], None]  # (node, text): a runner log line for that node
MB = 1 << 20


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:300]


class _Meter:
    """Progress lines for one transfer, at most one a second (plus the last)."""

    def __init__(self, report: Report | None, node: str, what: str, total: int | None) -> None:
        self.report, self.node, self.what, self.total = report, node, what, total
        self.done = 0
        self.t0 = self._last = time.monotonic()

    def add(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._last >= 1.0:
            self._last = now
            self._say(now)

    def end(self) -> None:
        if self.done >= 8 * MB:  # small transfers need no progress line
            self._say(time.monotonic())

    def _say(self, now: float) -> None:
        if self.report is None:
            return
        rate = self.done / MB / max(now - self.t0, 1e-6)
        total = f"/{self.total / MB:.1f}" if self.total else ""
        self.report(self.node, f"{self.what}: {self.done / MB:.1f}{total} MB ({rate:.0f} MB/s)")


class _CountingReader:
    """A file object for requests' streaming upload that counts what is read."""

    def __init__(self, fileobj: Any, total: int, meter: _Meter) -> None:
        self._f, self._total, self._meter = fileobj, total, meter

    def __len__(self) -> int:  # requests sends a Content-Length, not a chunked body
        return self._total

    def read(self, n: int = -1) -> bytes:
        data: bytes = self._f.read(n)
        self._meter.add(len(data))
        return data

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(MB):
            yield chunk


class RemoteBackend(DockerArchiveBackend):
    name = "ssh"

    def __init__(
        self,
        host: HostConfig,
        client: Any,
        workroot: Path,
        artifacts: ArtifactStore,
        client_id: str,
        network: str | None = None,
        pull: str = "missing",
        link: HostLink | None = None,
    ) -> None:
        super().__init__(client, workroot, artifacts, network=network, pull=pull)
        self.host = host
        self.link = link  # the host's SSH connection, shared with the Docker client
        self.client_id = client_id
        self.report: Report | None = None
        self._tls = threading.local()  # the node and stage of the launch on this thread
        self._pull_lock = threading.Lock()
        # nvidia-smi runs on the host, over the run's connection to it (or one of its own).
        self._commands = link or HostLink(host)
        self.gpu_watch = GpuWatch(lambda command: self._commands.get().start(command), f"host {host.name!r}")

    def _where(self) -> str:
        return f" on host {self.host.name!r} ({self.host.url})"

    def _stage(self, text: str) -> None:
        self._tls.stage = text

    def _create_args(self, spec: ExecutionSpec) -> dict[str, Any]:
        args: dict[str, Any] = {"labels": {CLIENT_LABEL: self.client_id, HOST_LABEL: self.host.name}}
        if spec.gpu_ids and self.host.gpu_access == "env":  # the engine's default runtime is nvidia
            args["environment"] = {"NVIDIA_VISIBLE_DEVICES": ",".join(spec.gpu_ids)}
        elif spec.gpu_ids:
            args["device_requests"] = device_requests(spec.gpu_ids)
        return args

    def launch(self, spec: ExecutionSpec, wakeup: threading.Event | None = None) -> Handle:
        self._tls.node = spec.node
        self._stage("creating the container")
        try:
            return super().launch(spec, wakeup)
        except (HostError, ImageMissingError):
            raise
        except Exception as exc:
            raise HostError(f"{self._where()[1:]}: {self._tls.stage} failed: {_short(exc)}") from None

    def _ensure_image(self, image: str) -> Any:
        """The host's image (its attrs give the dead-man switch's architecture and the image's
        PYTHONPATH: runner.execution.docker_backend), pulled with progress when missing."""
        with self._pull_lock:  # two nodes needing one image pull it once
            try:
                return self.client.images.get(image)
            except docker.errors.ImageNotFound:
                if self.pull == "never":
                    raise ImageMissingError(
                        f"image {image!r} is not on host {self.host.name!r} and pulling is off"
                    ) from None
            self._stage(f"pulling image {image}")
            self._pull(image)
        self._stage("creating the container")
        return self.client.images.get(image)

    def _pull(self, image: str) -> None:
        repo, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "latest")
        layers: dict[str, tuple[int, int]] = {}
        meter = _Meter(self.report, self._tls.node, f"pulling {image} on {self.host.name}", None)
        for event in self.client.api.pull(repo, tag=tag, stream=True, decode=True):
            if "error" in event:
                raise HostError(f"pulling {image} on host {self.host.name!r} failed: {event['error']}")
            detail = event.get("progressDetail") or {}
            if event.get("id") and detail.get("total"):
                layers[event["id"]] = (int(detail.get("current", 0)), int(detail["total"]))
                meter.total = sum(t for _c, t in layers.values())
                meter.add(sum(c for c, _t in layers.values()) - meter.done)
        meter.end()

    def _upload(self, handle: Handle, container: Any, tarball: Any) -> None:
        size = tarball.seek(0, 2)
        tarball.seek(0)
        self._stage(f"sending code and inputs ({size / MB:.1f} MB)")
        meter = _Meter(self.report, handle.spec.node, f"sending to {self.host.name}", size)
        container.put_archive("/", _CountingReader(tarball, size, meter))
        meter.end()
        self._stage("starting the container")

    def _counted(self, handle: Handle, chunks: Any) -> Iterator[bytes]:
        meter = _Meter(self.report, handle.spec.node, f"fetching outputs from {self.host.name}", None)
        handle.state["meter"] = meter
        for chunk in chunks:
            meter.add(len(chunk))
            yield chunk

    def collect(self, handle: Handle, artifacts: ArtifactStore, warn: Warn) -> list[OutputFile]:
        try:
            outputs = super().collect(handle, artifacts, warn)
            if "meter" in handle.state:  # the tar reader stops at the end marker, not at EOF
                handle.state.pop("meter").end()
            return outputs
        except DiskFull:
            raise  # room here, not the host, is what is missing
        except Exception as exc:
            raise HostError(f"{self._where()[1:]}: fetching the outputs failed: {_short(exc)}") from None

    def forward_port(self, handle: Handle, port: int) -> tuple[int, Any]:
        """The container port, published on the host's loopback, forwarded here over SSH (on the
        run's connection to the host when there is one)."""
        from runner.hosts.connection import connect

        remote = self.published_port(handle, port)
        if remote is None:
            raise HostError(f"{self._where()[1:]}: container port {port} is not published")
        own = self.link is None
        conn = connect(self.host) if own else self.link.get()  # type: ignore[union-attr]
        forward = conn.forward(remote)

        def close() -> None:
            forward.close()
            if own:
                conn.close()

        return forward.local_port, close

    def terminate(self, handle: Handle, grace: float = 2.0) -> None:
        with contextlib.suppress(Exception):  # host gone: the next connect removes the container
            super().terminate(handle, grace)

    def cleanup(self, handle: Handle) -> None:
        with contextlib.suppress(Exception):
            super().cleanup(handle)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()
        self._commands.close()


class HostPool:
    """The run's hosts behind one Backend; ``placer`` decides, the pool dispatches."""

    isolated = True

    def __init__(
        self, backends: dict[str, Any], slots: list[Slot], notes: list[str] | None = None, leases: Any = None
    ) -> None:
        self.backends = backends
        self.leases = leases  # GPU leases on the hosts (runner.hosts.gpu_lease.GpuLeases)
        self.placer = Placer(slots, leases)
        self.notes = notes or []
        self.name = "ssh:" + ",".join(backends)

    def _of(self, handle: Handle) -> Any:
        return self.backends[handle.spec.host]

    def set_reporter(self, report: Report) -> None:
        if self.leases is not None:
            self.leases.report = report  # "waiting for a GPU on gpubox: ..."
        for backend in self.backends.values():
            if hasattr(backend, "report"):
                backend.report = report

    def launch(self, spec: ExecutionSpec, wakeup: threading.Event | None = None) -> Handle:
        if spec.host not in self.backends:
            raise HostError(f"node {spec.node!r} was placed on {spec.host!r}, which is not in this run")
        return self.backends[spec.host].launch(spec, wakeup)  # type: ignore[no-any-return]

    def poll(self, handle: Handle) -> Poll:
        return self._of(handle).poll(handle)  # type: ignore[no-any-return]

    def terminate(self, handle: Handle, grace: float = 2.0) -> None:
        self._of(handle).terminate(handle, grace)

    def collect(self, handle: Handle, artifacts: ArtifactStore, warn: Warn) -> list[OutputFile]:
        return self._of(handle).collect(handle, artifacts, warn)  # type: ignore[no-any-return]

    def cleanup(self, handle: Handle) -> None:
        self._of(handle).cleanup(handle)

    def reports(self, handle: Handle) -> dict[str, bytes]:
        return self._of(handle).reports(handle)  # type: ignore[no-any-return]

    def forward_port(self, handle: Handle, port: int) -> tuple[int, Any]:
        return self._of(handle).forward_port(handle, port)  # type: ignore[no-any-return]

    def remove_leftovers(self, run_id: str) -> int:
        removed = 0
        for backend in self.backends.values():
            with contextlib.suppress(Exception):
                removed += backend.remove_leftovers(run_id)
        return removed

    def image_identity(self, image: str) -> str:
        for backend in self.backends.values():
            with contextlib.suppress(Exception):
                if ident := backend.image_identity(image):
                    return str(ident)
        return ""

    def close(self) -> None:
        if self.leases is not None:
            self.leases.close()
        for backend in self.backends.values():
            if hasattr(backend, "close"):
                backend.close()
