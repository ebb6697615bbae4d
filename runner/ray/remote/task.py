"""One pipeline node as one Ray task: its container on the worker's own Docker engine.

``run_unit`` is a streaming generator (the driver wraps it with ``ray.remote``): it yields
``("placed", info)`` first, then ``("note", text)``, ``("out", stream, bytes)`` and
``("stats", frame, gpus)`` (a stats frame of its container and, for a unit with GPUs, the
status and output of the runner's nvidia-smi command on this node) as they come, and at the
end ``("exit", code)``, ``("outputs", tar)`` and ``("reports", tar)``. The work runs on a
thread; the generator's own thread only waits on a queue in short steps, so ``ray.cancel`` (a
KeyboardInterrupt raised between Python steps, never inside a blocking call) stops the
container at once (SIGTERM; the driver forces the task after the grace period). A watchdog
process outside the worker removes the container when the worker dies without saying done (a
forced cancel, a lost node).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import queue
import socket
import subprocess
import tempfile
import threading
import time
from typing import Any, Dict, List, Optional

from . import dockerapi

TICK = 0.1  # seconds between looks for new output (and for a cancel)
OUT_BATCH = 256 * 1024  # output bytes of one stream sent as one item at most
# The container's command: the step under a supervisor that ends it when the container's stdin
# closes. Our task holds that stdin (attached, StdinOnce), so a worker process that dies any
# way (a forced cancel, its node lost) takes its container down with it: Ray kills whatever a
# dead worker left running, so no watchdog of ours could outlive it. /bin/sh runs every step;
# the stdin goes on fd 3 because sh gives background jobs /dev/null as their stdin. The
# watcher is ended with SIGKILL and never waited for: a TERM that reaches the just-forked
# subshell before it has dropped the trap it inherited is lost (busybox ash), and waiting for
# a watcher that survived it hung the container, and so the node, for ever. The shell's
# stderr goes first, so bash's "Killed" job notice is not in the step's log.
SUPERVISE = """
exec 3<&0
"$@" </dev/null 3<&- &
child=$!
trap 'kill -TERM $child 2>/dev/null' TERM INT
( while read -r _ <&3; do :; done; kill -TERM $child 2>/dev/null; sleep 10; kill -KILL $child 2>/dev/null ) &
watcher=$!
exec 3<&-
while :; do
    wait $child
    code=$?
    kill -0 $child 2>/dev/null || break
done
exec 2>/dev/null
kill -KILL $watcher
exit $code
"""
_END = ("end",)


def run_unit(task: Dict[str, Any], archive: List[Any], image: List[Any]) -> Any:
    """``archive``/``image``: one-element lists of ObjectRefs (a list, so Ray does not fetch the
    image to a node that has it already); ``image`` is empty when the image is pulled."""
    import ray

    gpu_ids = [str(g) for g in ray.get_gpu_ids()]
    yield (
        "placed",
        {
            "node_id": ray.get_runtime_context().get_node_id(),
            "address": ray.util.get_node_ip_address(),
            "hostname": socket.gethostname(),
            "gpu_ids": gpu_ids,
            "pid": os.getpid(),
        },
    )
    name = task["name"]
    unit = _Unit(task, archive, image, gpu_ids)
    worker = threading.Thread(target=unit.work, name="unit-" + name, daemon=True)
    worker.start()
    try:
        while True:
            items = unit.take()
            for item in items:
                if item is _END:
                    return
                yield item
    except KeyboardInterrupt:  # ray.cancel: stop the step; a forced cancel follows after grace
        unit.cancelled.set()
        dockerapi.signal(name, "TERM")
        worker.join()
        raise
    finally:
        unit.close()
        dockerapi.remove(name)


class _Unit:
    """The container's life, on a thread of its own; what it yields goes through ``items``."""

    def __init__(self, task: Dict[str, Any], archive: List[Any], image: List[Any], gpu_ids: List[str]):
        self.task, self.archive, self.image, self.gpu_ids = task, archive, image, gpu_ids
        self.items: "queue.Queue[Any]" = queue.Queue()
        self.cancelled = threading.Event()
        self.attached: Any = None  # the attach connection: its stdin keeps the container alive

    def close(self) -> None:
        if self.attached is not None:
            self.attached.close()

    def note(self, text: str) -> None:
        self.items.put(("note", text))

    def take(self) -> List[Any]:
        """What arrived by the next tick, consecutive output of one stream joined up."""
        try:
            first = self.items.get(timeout=TICK)
        except queue.Empty:
            return []
        batch = [first]
        while True:
            try:
                batch.append(self.items.get_nowait())
            except queue.Empty:
                break
        out: List[Any] = []
        for item in batch:
            last = out[-1] if out else None
            if (
                item[0] == "out"
                and last
                and last[0] == "out"
                and last[1] == item[1]
                and len(last[2]) < OUT_BATCH
            ):
                out[-1] = ("out", item[1], last[2] + item[2])
            else:
                out.append(item)
        return out

    def work(self) -> None:
        try:
            self._run()
        except Exception as exc:
            self.items.put(("error", str(exc) or type(exc).__name__))
        finally:
            self.items.put(_END)

    def _run(self) -> None:
        import ray

        task, name = self.task, self.task["name"]
        self._ensure_image()
        tarball = ray.get(self.archive[0])
        if self.cancelled.is_set():
            return
        env = dict(task["env"])
        if task.get("pythonpath_first"):  # our injected folder first, the step's own after it
            base = env.get("PYTHONPATH") or dockerapi.image_env(task["image"], "PYTHONPATH")
            env["PYTHONPATH"] = task["pythonpath_first"] + (":" + base if base else "")
        self._create(env)
        dockerapi.put_archive(name, tarball)
        del tarball
        if self.cancelled.is_set():
            return
        self._attach_and_wait()

    def _ensure_image(self) -> None:
        task = self.task
        wanted = task.get("image_id")
        present = dockerapi.image_id(task["image"])
        if wanted and present == wanted:
            return
        if wanted and self.image:
            with _engine_lock():  # several tasks on this node: one loads, the others find it
                if dockerapi.image_id(task["image"]) != wanted:
                    import ray

                    self.note("loading image {} shipped from the designer's machine".format(task["image"]))
                    t0 = time.time()
                    dockerapi.load(ray.get(self.image[0]))
                    self.note("loaded image {} in {:.1f} s".format(task["image"], time.time() - t0))
            return
        if present:
            return
        if task.get("pull") == "never":
            raise dockerapi.DockerError(
                "image {!r} is not on this node and pulling is off".format(task["image"])
            )
        self.note("pulling image {} on {}".format(task["image"], socket.gethostname()))
        dockerapi.pull(task["image"], self.note)

    def _create(self, env: Dict[str, str]) -> None:
        task = dict(self.task, argv=["/bin/sh", "-c", SUPERVISE, "supervise", *self.task["argv"]])
        if self.gpu_ids and not dockerapi.attaches_gpus():
            # Ray's GPUs here are a declared resource the engine cannot attach (no NVIDIA
            # container toolkit): the step still sees which ones are its own, as Ray's tasks do.
            ids = ",".join(self.gpu_ids)
            self.note(
                "warning: the Docker engine of this node has no NVIDIA support: GPU(s) {} are "
                "assigned (NVIDIA_VISIBLE_DEVICES, CUDA_VISIBLE_DEVICES) but not attached".format(ids)
            )
            dockerapi.create(task, {**env, "NVIDIA_VISIBLE_DEVICES": ids, "CUDA_VISIBLE_DEVICES": ids}, [])
        else:
            dockerapi.create(task, env, self.gpu_ids)

    def _attach_and_wait(self) -> None:
        name = self.task["name"]
        self.attached, frames = dockerapi.attach(name)  # before start: no output is missed
        dockerapi.start(name)
        if self.task.get("stats", True):
            threading.Thread(target=self._sample, daemon=True).start()
        for stream, data in frames:
            self.items.put(("out", stream, data))
        self.items.put(("exit", dockerapi.wait(name)))
        self.items.put(("outputs", dockerapi.get_archive(name, self.task["outputs"])))
        if self.task.get("reports"):
            with contextlib.suppress(dockerapi.DockerError):  # the features wrote nothing
                self.items.put(("reports", dockerapi.get_archive(name, self.task["reports"])))

    def _sample(self) -> None:
        """The engine's stats frames (and this node's GPU figures) while the step runs."""
        try:
            for frame in dockerapi.stats(self.task["name"]):
                if str(frame.get("read", "")).startswith("0001"):
                    return  # the frame the engine sends once the container stopped
                gpus = (
                    _run_shell(self.task["gpu_script"])
                    if self.gpu_ids and self.task.get("gpu_script")
                    else None
                )
                self.items.put(("stats", _slim(frame), gpus))
        except Exception:  # the container is gone, the socket closed: no more samples
            return


def _slim(frame: Dict[str, Any]) -> Dict[str, Any]:
    """The parts of a stats frame the runner's system metrics read."""
    return {k: frame.get(k) for k in ("read", "cpu_stats", "precpu_stats", "memory_stats")}


def _run_shell(command: str) -> Dict[str, Any]:
    """``sh -c command`` on this node: its exit status and output (the runner reads both)."""
    try:
        done = subprocess.run(["sh", "-c", command], capture_output=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"status": -1, "text": "could not run nvidia-smi: {}".format(exc)}
    return {"status": done.returncode, "text": (done.stdout + done.stderr).decode("utf-8", "replace")}


class _engine_lock:
    """One image load at a time per Docker engine (several Ray nodes may share one)."""

    def __enter__(self) -> None:
        key = hashlib.sha256(os.environ.get("DOCKER_HOST", "default").encode()).hexdigest()[:16]
        path = os.path.join(tempfile.gettempdir(), "pipeline-designer-ray-load-{}.lock".format(key))
        self._fd: Optional[int] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)
