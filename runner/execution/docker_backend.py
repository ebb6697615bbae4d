"""Docker backends: bind mounts on the local engine, or archive transfer (put/get archive).

Both create a labelled container ``vh-<run_id>-<node>`` running the step script with the
image entrypoint cleared, stream stdout/stderr separately on a reader thread, and stop it
with a short grace period then kill. The archive variant needs nothing but the Docker API,
so it works against a remote engine (the SSH remote-hosts backend reuses it).
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tarfile
import tempfile
import threading
from pathlib import Path
from typing import Any

import docker
import docker.errors

from runner.execution import attach_stream, deadman, inject
from runner.execution.backend import Handle, Poll, Warn, poll_handle
from runner.execution.collect import collect_dir, collect_tar
from runner.execution.command import script_argv
from runner.execution.spec import (
    CONTAINER_ROOT,
    RUN_LABEL,
    SCRIPT_NAME,
    ExecutionSpec,
    OutputFile,
    add_code_to_tar,
    container_env,
    place_code,
    write_tree,
)
from runner.store.artifacts import ArtifactStore
from runner.sysmetrics import container_stats
from runner.sysmetrics.gpu_watch import GpuWatch, LocalCommand

SCRIPT_PATH = f"{CONTAINER_ROOT}/runner/{SCRIPT_NAME}"


class ImageMissingError(RuntimeError):
    pass


class _DockerBase:
    isolated = True

    def __init__(
        self,
        client: Any,
        workroot: Path,
        artifacts: ArtifactStore,
        network: str | None = None,
        pull: str = "missing",
        init: bool = True,
    ) -> None:
        self.client = client
        self.workroot = workroot
        self.artifacts = artifacts
        self.network = network  # None: the engine's default network
        self.pull = pull  # "missing" or "never"
        self.init = init  # a tiny init as PID 1 forwards SIGTERM to the step
        self._watchdogs: dict[str, deadman.Watchdog | None] = {}  # image -> its dead-man switch
        self.gpu_watch = GpuWatch(LocalCommand, "this machine")  # nvidia-smi where the engine is

    # launch ----------------------------------------------------------------
    def _ensure_image(self, image: str) -> Any:
        """The engine's image (inspected once here: its attrs answer the launch's other questions),
        pulled first when missing and pulling is on."""
        try:
            return self.client.images.get(image)
        except docker.errors.ImageNotFound:
            if self.pull == "never":
                raise ImageMissingError(f"image {image!r} is not on the engine and pulling is off") from None
            return self.client.images.pull(image)

    def _present_image(self, image: str) -> Any:
        """``_ensure_image``'s image; inspected here when an override gave none back, so a backend
        that forgets to return it still gets its dead-man switch and the image's PYTHONPATH."""
        found = self._ensure_image(image)
        return found if _attrs(found) else self.client.images.get(image)

    def image_identity(self, image: str) -> str:
        """The engine's id of the image (a rebuilt tag gets a new one); "" when not present yet."""
        try:
            return str(self.client.images.get(image).id)
        except docker.errors.DockerException:
            return ""

    def _create(self, spec: ExecutionSpec, volumes: dict[str, dict[str, str]] | None) -> Any:
        image = self._present_image(spec.image)
        with contextlib.suppress(docker.errors.NotFound):  # a leftover of an interrupted run
            self.client.containers.get(spec.container_name).remove(force=True)
        kwargs: dict[str, Any] = self._create_args(spec)
        if self.network is not None:
            kwargs["network_mode"] = self.network
        if spec.publish:  # only ever on the loopback of the engine's host
            kwargs["ports"] = {f"{port}/tcp": ("127.0.0.1", None) for port in spec.publish}
        # The PYTHONPATH the step would have had: its own (the YAML's), else the image's.
        pythonpath = spec.env.get("PYTHONPATH") or _image_env(image, "PYTHONPATH")
        env = {
            **container_env(spec),
            **inject.environment(spec.inject, pythonpath),
            **kwargs.pop("environment", {}),
        }
        watchdog = self._watchdog(spec.image)  # its binary is in the runner folder (launch)
        return self.client.containers.create(
            spec.image,
            **deadman.arm_args(watchdog, script_argv(SCRIPT_PATH, spec.script)),
            entrypoint="",
            working_dir=f"{CONTAINER_ROOT}/repository",
            environment=env,
            labels={**spec.labels, **kwargs.pop("labels", {})},
            name=spec.container_name,
            volumes=volumes or {},
            init=self.init,
            **kwargs,
        )

    def _watchdog(self, image: str) -> deadman.Watchdog | None:
        """The dead-man switch for the image's architecture (runner.execution.deadman); it needs
        the engine's init as PID 1."""
        if image not in self._watchdogs:
            arch = str(_attrs(self._present_image(image)).get("Architecture") or "")
            self._watchdogs[image] = deadman.Watchdog.for_arch(arch) if self.init else None
        return self._watchdogs[image]

    def published_port(self, handle: Handle, port: int) -> int | None:
        """The 127.0.0.1 port of the engine's host that a published container port got."""
        container = handle.state.get("container")
        if container is None:
            return None
        container.reload()
        bound = (container.attrs.get("NetworkSettings", {}).get("Ports") or {}).get(f"{port}/tcp") or []
        return next((int(b["HostPort"]) for b in bound if b.get("HostIp") in ("127.0.0.1", "")), None)

    def forward_port(self, handle: Handle, port: int) -> tuple[int, Any]:
        """A 127.0.0.1 port of this machine reaching the container's ``port``, and how to close it
        (the local engine publishes on this machine already: nothing to close)."""
        local = self.published_port(handle, port)
        if local is None:
            raise RuntimeError(
                f"container port {port} is not published (network {self.network or 'default'})"
            )
        return local, lambda: None

    def _create_args(self, spec: ExecutionSpec) -> dict[str, Any]:
        """Extra ``containers.create`` arguments (remote hosts add labels, GPUs, ``environment``)."""
        return {}

    def _where(self) -> str:
        """Where the engine is, for error messages ("" for the local engine)."""
        return ""

    def _start(self, handle: Handle, container: Any) -> None:
        handle.state["container"] = container
        # Attach before start: attaching to an already exited container hangs on this engine,
        # and attaching first means not a byte of output is missed.
        try:
            if deadman.armed(container):  # the same streams, plus the runner's heartbeat
                sock: Any = deadman.attach(self.client.api, container.id, handle.wait)
            else:
                params = {"stdout": 1, "stderr": 1, "stream": 1, "logs": 1}
                sock = self.client.api.attach_socket(container.id, params=params)
            container.start()
        except Exception:
            self.cleanup(handle)  # a created-but-unstarted container must not be left behind
            raise
        name = f"output-{handle.spec.container_name}"
        threading.Thread(target=self._pump, args=(handle, container, sock), name=name, daemon=True).start()
        if handle.spec.system_metrics:
            self._sample(handle, container)

    def _sample(self, handle: Handle, container: Any) -> None:
        """Its system metrics: the engine's stats stream, and nvidia-smi for its GPUs."""
        gpu_ids = handle.spec.gpu_ids
        if not gpu_ids:
            container_stats.follow(self.client.api, container.id, handle.system)
            return
        watch = self.gpu_watch
        watch.acquire()
        container_stats.follow(
            self.client.api, container.id, handle.system, lambda: watch.figures(gpu_ids), watch.release
        )

    def _pump(self, handle: Handle, container: Any, sock: Any) -> None:
        """Reader thread: it only reads and buffers (runner.execution.attach_stream), so the step
        is never held up by what the run does with its output; then the exit status."""
        try:
            attach_stream.pump(sock, handle)
            result = container.wait()
            handle.finish(int(result.get("StatusCode", -1)))
        except Exception as exc:  # engine went away, container removed under us
            handle.finish(None, f"lost the container{self._where()} while the step was running: {exc}")

    def poll(self, handle: Handle) -> Poll:
        return poll_handle(handle)

    def terminate(self, handle: Handle, grace: float = 2.0) -> None:
        container = handle.state.get("container")
        if container is None:
            return
        with contextlib.suppress(docker.errors.APIError):
            container.stop(timeout=max(int(grace), 0))

    def cleanup(self, handle: Handle) -> None:
        container = handle.state.get("container")
        if container is not None:
            with contextlib.suppress(docker.errors.APIError):
                container.remove(force=True)
        workdir = handle.state.get("workdir")
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)

    def remove_leftovers(self, run_id: str) -> int:
        return remove_labelled(self.client, run_id)


def _attrs(image: Any) -> dict[str, Any]:
    attrs = getattr(image, "attrs", None)
    return attrs if isinstance(attrs, dict) else {}


def _image_env(image: Any, name: str) -> str:
    """A variable of the image's own environment ("" if unset): injection extends, never hides it."""
    env = (_attrs(image).get("Config") or {}).get("Env") or []
    return next((e.partition("=")[2] for e in env if e.startswith(f"{name}=")), "")


def remove_labelled(client: Any, run_id: str) -> int:
    """Remove every container of a run, found by its label (works after a crash)."""
    found = client.containers.list(all=True, ignore_removed=True, filters={"label": f"{RUN_LABEL}={run_id}"})
    for container in found:
        with contextlib.suppress(docker.errors.APIError):
            container.remove(force=True)
    return len(found)


class DockerBindBackend(_DockerBase):
    """Local engine: the execution tree lives on the host and is bind-mounted (fast)."""

    name = "docker"

    def launch(self, spec: ExecutionSpec, wakeup: threading.Event | None = None) -> Handle:
        handle = Handle(spec, wakeup=wakeup)
        workdir = self.workroot / spec.run_id / spec.container_name
        handle.state["workdir"] = workdir
        place_code(spec, workdir / "repository", self.artifacts)
        write_tree(spec, workdir, CONTAINER_ROOT, self.artifacts)
        mounts = {"repository": "rw", "inputs": "ro", "outputs": "rw", "config": "ro", "runner": "ro"}
        volumes = {
            str(workdir / sub): {"bind": f"{CONTAINER_ROOT}/{sub}", "mode": mode}
            for sub, mode in mounts.items()
        }
        for host_dir, container_dir in inject.mounts(spec.inject, spec.inject_folders).items():
            volumes[str(host_dir)] = {"bind": container_dir, "mode": "ro"}
        watchdog = self._watchdog(spec.image)
        if watchdog is not None:  # the dead-man switch (runner.execution.deadman)
            shutil.copy(watchdog.binary, workdir / "runner" / Path(deadman.CONTAINER_PATH).name)
        if spec.inject:  # the features' writable folder (runner.execution.inject)
            reports = workdir / "runner-reports"
            reports.mkdir(exist_ok=True)
            reports.chmod(0o777)  # images whose user is not root
            volumes[str(reports)] = {"bind": inject.REPORTS_CONTAINER_DIR, "mode": "rw"}
        self._start(handle, self._create(spec, volumes))
        return handle

    def collect(self, handle: Handle, artifacts: ArtifactStore, warn: Warn) -> list[OutputFile]:
        return collect_dir(handle.state["workdir"] / "outputs", artifacts, warn, move=True)

    def reports(self, handle: Handle) -> dict[str, bytes]:
        """What the injected features wrote (runner.execution.inject), before cleanup."""
        return inject.read_reports(handle.state["workdir"] / "runner-reports")


class DockerArchiveBackend(_DockerBase):
    """Any engine reachable by API: files go in with put_archive and come back with get_archive."""

    name = "docker-archive"

    def launch(self, spec: ExecutionSpec, wakeup: threading.Event | None = None) -> Handle:
        handle = Handle(spec, wakeup=wakeup)
        container = self._create(spec, None)
        handle.state["container"] = container
        try:
            with tempfile.TemporaryFile(dir=self.workroot) as tarball:
                write_execution_tar(spec, self.artifacts, self.workroot, tarball, self._watchdog(spec.image))
                self._upload(handle, container, tarball)
        except Exception:
            self.cleanup(handle)
            raise
        self._start(handle, container)
        return handle

    def _upload(self, handle: Handle, container: Any, tarball: Any) -> None:
        container.put_archive("/", tarball)

    def collect(self, handle: Handle, artifacts: ArtifactStore, warn: Warn) -> list[OutputFile]:
        res = _archive(handle.state["container"], f"{CONTAINER_ROOT}/outputs")
        chunks = self._counted(handle, res.iter_content(1 << 20))
        try:
            return collect_tar(io.BufferedReader(_ChunkReader(chunks), 1 << 20), artifacts, warn)
        except BaseException:
            # Left half-read (a full disk here), the stream keeps the engine's copy going and the
            # container cannot be removed until the client times out (a minute over SSH).
            res.close()
            raise

    def _counted(self, handle: Handle, chunks: Any) -> Any:
        """Hook to report download progress; the local engine needs none."""
        return chunks

    def reports(self, handle: Handle) -> dict[str, bytes]:
        """What the injected features wrote (runner.execution.inject), before cleanup."""
        if not handle.spec.inject or handle.state.get("container") is None:
            return {}
        root = inject.REPORTS_CONTAINER_DIR
        chunks, _stat = handle.state["container"].get_archive(root, chunk_size=1 << 20)
        reader = io.BufferedReader(_ChunkReader(chunks), 1 << 20)
        return inject.reports_from_tar(reader, root.rsplit("/", 1)[-1])


def write_execution_tar(
    spec: ExecutionSpec, artifacts: ArtifactStore, workroot: Path, tarball: Any, watchdog: Any = None
) -> None:
    """Everything the step's container needs as one tar rooted at ``/`` (the repository, inputs,
    outputs, config, runner script, injected folders, the dead-man switch's binary when
    ``watchdog``), for an engine reached by archive only; ``tarball`` is left at its start."""
    with tempfile.TemporaryDirectory(dir=workroot) as tmp:
        write_tree(spec, Path(tmp), CONTAINER_ROOT, artifacts)
        with tarfile.open(fileobj=tarball, mode="w") as tar:
            _add_dir(tar, "valohai/repository")
            add_code_to_tar(spec, tar, "valohai/repository", artifacts)
            for sub in ("inputs", "outputs", "config", "runner"):
                tar.add(Path(tmp) / sub, arcname=f"valohai/{sub}")
            for host_dir, container_dir in inject.mounts(spec.inject, spec.inject_folders).items():
                _add_folder(tar, host_dir, container_dir.lstrip("/"))
            if spec.inject:  # the features' writable folder
                _add_dir(tar, inject.REPORTS_CONTAINER_DIR.lstrip("/"), mode=0o777)
            if watchdog is not None:  # the dead-man switch (runner.execution.deadman)
                tar.add(watchdog.binary, arcname=deadman.CONTAINER_PATH.lstrip("/"))
    tarball.seek(0)


def _add_folder(tar: tarfile.TarFile, root: Path, arcroot: str) -> None:
    """A runner-owned folder (an injected feature) into the archive, read-only for the step."""

    def readonly(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        rel = info.name[len(arcroot) :].lstrip("/")
        if inject.skip_in_archive(rel):
            return None
        info.mode &= 0o555
        info.uid = info.gid = 0
        return info

    tar.add(root, arcname=arcroot, filter=readonly)


def _add_dir(tar: tarfile.TarFile, name: str, mode: int = 0o755) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = mode
    tar.addfile(info)


class _ChunkReader(io.RawIOBase):
    """A file object over the byte-chunk generator get_archive returns (streamed, not buffered)."""

    def __init__(self, chunks: Any) -> None:
        self._chunks = iter(chunks)
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buf:
            try:
                self._buf = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _archive(container: Any, path: str) -> Any:
    """The engine's tar of ``path`` in the container, streamed: ``get_archive``'s request, but the
    response is kept, so that a stream read only partly can be closed."""
    api = container.client.api
    res = api._get(api._url("/containers/{0}/archive", container.id), params={"path": path}, stream=True)
    api._raise_for_status(res)
    return res


def docker_client() -> Any:
    return docker.from_env(timeout=60)
