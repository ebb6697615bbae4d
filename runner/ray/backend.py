"""The executor's backend for a Ray cluster: each unit one Ray task, through the head's driver.

``launch`` builds the unit's archive (what the archive backends send), puts it in the driver's
work folder and submits the task; what the task yields comes back on the link's reader thread
into the unit's ``Handle``. ``collect`` fetches the outputs archive from the head into the
artifact store. ``terminate`` is ``ray.cancel`` (the task stops its container), forced after
the grace period. Progress (queued, placed, image shipping) goes into the unit's log.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runner.events import GpuFigures
from runner.execution import inject
from runner.execution.backend import Handle, Poll, Warn, poll_handle
from runner.execution.collect import collect_tar
from runner.execution.command import script_argv
from runner.execution.docker_backend import SCRIPT_PATH, write_execution_tar
from runner.execution.spec import CONTAINER_ROOT, RUN_LABEL, ExecutionSpec, OutputFile, container_env
from runner.hosts.health import CLIENT_LABEL, HOST_LABEL
from runner.hosts.registry import HostConfig
from runner.ray.images import ImageShipper
from runner.ray.link import DriverLink, RayClusterError
from runner.ray.placer import ClusterPlacer
from runner.ray.remote import protocol
from runner.store.artifacts import ArtifactStore
from runner.sysmetrics import nvidia_smi
from runner.sysmetrics.nvidia_smi import SmiReader
from runner.sysmetrics.samples import from_stats, stopped

Report = Callable[[str, str], None]
MB = 1 << 20


class RayBackend:
    isolated = True

    def __init__(
        self,
        host: HostConfig,
        link: DriverLink,
        workroot: Path,
        artifacts: ArtifactStore,
        client_id: str,
        local_client: Any = None,
        network: str | None = None,
        pull: str = "missing",
    ) -> None:
        self.host, self.link, self.workroot, self.artifacts = host, link, workroot, artifacts
        self.client_id, self.network, self.pull = client_id, network, pull
        self.name = f"ray:{host.name}"
        self.placer = ClusterPlacer(host.name, host.environments, self.nodes)
        self.images = ImageShipper(link, local_client, workroot)
        self.report: Report | None = None
        self.notes: list[str] = []

    def nodes(self) -> list[dict[str, Any]]:
        return list(self.link.ready.get("nodes") or [])

    def set_reporter(self, report: Report) -> None:
        self.report = report

    def _note(self, unit: str, text: str) -> None:
        if self.report is not None:
            self.report(unit, text)

    # launch ------------------------------------------------------------------------------------
    def launch(self, spec: ExecutionSpec, wakeup: threading.Event | None = None) -> Handle:
        if spec.publish:
            raise RayClusterError(
                "debugging a node is not available on a Ray cluster (its worker's ports are not "
                "reachable from here): debug it locally or on an SSH host"
            )
        unit = spec.node
        handle = Handle(spec, wakeup=wakeup)
        handle.state.update(unit=unit, files=[])
        image_id = self.images.prepare(spec.image, lambda text: self._note(unit, text))
        archive = f"{spec.container_name}.in.tar"
        with tempfile.TemporaryFile(dir=self.workroot) as tarball:
            write_execution_tar(spec, self.artifacts, self.workroot, tarball)
            size = tarball.seek(0, 2)
            tarball.seek(0)
            t0 = time.monotonic()
            self.link.put(tarball, archive)
        if size >= 8 * MB:
            took = time.monotonic() - t0
            self._note(unit, f"sent code and inputs ({size / MB:.1f} MB) to the cluster in {took:.1f} s")
        gpus = self.placer.demand_of(unit).gpus
        self.link.on_unit(unit, lambda message: self._event(handle, message))
        self.link.send("submit", unit=unit, task=self._task(spec, image_id), archive=archive, gpus=gpus)
        waiting = f" for {gpus} GPU(s)" if gpus else ""
        self._note(unit, f"queued on Ray cluster {self.host.name}, waiting for a worker node{waiting}")
        return handle

    def _task(self, spec: ExecutionSpec, image_id: str | None) -> dict[str, Any]:
        """What the node task needs to run the container (runner/ray/remote/task.py)."""
        env = container_env(spec)
        injected = inject.environment(spec.inject, "")
        first = injected.pop("PYTHONPATH", None)  # the task puts the image's own PYTHONPATH after it
        env.update(injected)
        labels = {**spec.labels, CLIENT_LABEL: self.client_id, HOST_LABEL: self.host.name}
        return {
            "name": spec.container_name,
            "image": spec.image,
            "image_id": image_id,
            "pull": self.pull,
            "argv": script_argv(SCRIPT_PATH, spec.script),
            "env": env,
            "pythonpath_first": first,
            "labels": labels,
            "workdir": f"{CONTAINER_ROOT}/repository",
            "network": self.network,
            "outputs": f"{CONTAINER_ROOT}/outputs",
            "reports": inject.REPORTS_CONTAINER_DIR if spec.inject else None,
            # System metrics: its stats frames, and this nvidia-smi command's output for its GPUs.
            "stats": spec.system_metrics,
            "gpu_script": nvidia_smi.script(),
        }

    def _event(self, handle: Handle, message: dict[str, Any]) -> None:
        """On the link's reader thread: what the unit's task yielded."""
        ev, unit = message["ev"], handle.state["unit"]
        if ev == "out":
            handle.feed(message["stream"], protocol.unpack(message["data"]))
        elif ev == "placed":
            handle.state["placed"] = message
            handle.started = time.time()  # its time limit counts from here, not from the queue
            handle.last_output = time.monotonic()
            gpus = message.get("gpu_ids") or []
            node = str(message.get("node_id"))[:12]
            where = f"{message.get('hostname')} ({message.get('address')}, node {node})"
            self._note(
                unit, f"running on worker node {where}" + (f" with GPU(s) {','.join(gpus)}" if gpus else "")
            )
        elif ev == "note":
            self._note(unit, str(message.get("text", "")))
        elif ev == "stats":
            self._sampled(handle, message)
        elif ev == "done":
            handle.state["files"] = [message[k] for k in ("outputs", "reports") if message.get(k)]
            handle.state["done"] = message
            self.link.drop(unit)
            handle.finish(message.get("exit_code"), message.get("error"))

    def _sampled(self, handle: Handle, message: dict[str, Any]) -> None:
        """A stats frame of the unit's container and, with GPUs, its worker's nvidia-smi output."""
        placed = handle.state.get("placed") or {}
        gpu_ids = [str(g) for g in placed.get("gpu_ids") or []]
        figures: tuple[GpuFigures, ...] = ()
        note = ""
        smi = message.get("gpus")
        if gpu_ids and isinstance(smi, dict):
            where = f"worker node {placed.get('hostname')} ({placed.get('address')})"
            reader = SmiReader().feed_all(str(smi.get("text", "")).splitlines())
            note = reader.problem(smi.get("status"), where)
            if not note:
                figures, note = reader.select(gpu_ids, where)
        frame = message.get("frame") or {}
        if not stopped(frame):
            handle.system.add(from_stats(frame, time.time(), figures), note)

    # the rest of the interface -----------------------------------------------------------------
    def poll(self, handle: Handle) -> Poll:
        return poll_handle(handle)

    def terminate(self, handle: Handle, grace: float = 2.0) -> None:
        if not handle.finished:
            with contextlib.suppress(RayClusterError):  # driver gone: its tasks went with it
                self.link.send("cancel", unit=handle.state["unit"], grace=grace)

    def collect(self, handle: Handle, artifacts: ArtifactStore, warn: Warn) -> list[OutputFile]:
        name = (handle.state.get("done") or {}).get("outputs")
        if not name:
            return []
        try:
            with self.link.fetch(name) as fh:
                return collect_tar(io.BufferedReader(fh, MB), artifacts, warn)  # type: ignore[arg-type]
        except OSError as exc:
            raise RayClusterError(
                f"Ray cluster {self.host.name!r}: fetching the outputs failed: {exc}"
            ) from None

    def reports(self, handle: Handle) -> dict[str, bytes]:
        """What the injected features wrote (runner.execution.inject), before cleanup."""
        name = (handle.state.get("done") or {}).get("reports")
        if not name:
            return {}
        with self.link.fetch(name) as fh:
            return inject.reports_from_tar(
                io.BufferedReader(fh, MB), inject.REPORTS_CONTAINER_DIR.rsplit("/", 1)[-1]
            )  # type: ignore[arg-type]

    def cleanup(self, handle: Handle) -> None:
        self.link.drop(handle.state.get("unit", ""))
        for name in handle.state.get("files") or []:
            self.link.remove(name)
        handle.state["files"] = []

    def remove_leftovers(self, run_id: str) -> int:
        return len(remove_ours(self.link, [[RUN_LABEL, run_id]], [])[0])

    def image_identity(self, image: str) -> str:
        return self.images.local_id(image) or ""

    def close(self) -> None:
        self.link.close()
        self.link.conn.close()


def remove_ours(link: DriverLink, filters: list[list[str]], keep: list[str]) -> tuple[list[str], list[str]]:
    """Our containers on every worker node matching a ``[label, value]`` of ``filters`` whose
    run is not in ``keep``, removed: their names, and why it failed on a node where it did."""
    reply = link.request("leftovers", filters=filters, keep=keep, run_label=RUN_LABEL)
    removed: list[str] = []
    failed: list[str] = []
    for node, names in reply["removed"].items():
        if isinstance(names, list):
            removed += names
        else:
            failed.append(f"worker node {node[:12]}: {(names or {}).get('error', names)}")
    return removed, failed
