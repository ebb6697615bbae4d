"""The driver on the cluster's head: one per run, speaking ``protocol`` on stdin/stdout.

Started by the runner over SSH as ``python driver.zip --address ADDR``. It connects to the
cluster as a Ray job, submits each pipeline node as one ``task.run_unit`` streaming task and
forwards what the tasks yield; bulk files arrive and leave through its work folder (SFTP on
the runner's side). When stdin ends (the run is over, or its SSH connection dropped) every
task of the job is cancelled and the work folder removed.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import platform
import re
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any, Dict, List, Optional

from . import cluster, protocol
from .protocol import SLOT_RESOURCE, pack

MONITOR_S = 2.0  # how often the node list is looked at (changes, lost nodes, infeasible waits)
KILLED = (137, 143)  # a step ended by SIGKILL or SIGTERM
LOSS_WAIT_S = 20.0  # how long the head may take to declare a lost node dead
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")
_LOOPBACK = ("127.", "localhost", "[::1]", "::1")


class Output:
    """Protocol lines to the runner, from any thread."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream, self._lock = stream, threading.Lock()

    def send(self, message: Dict[str, Any]) -> None:
        data = protocol.encode(message)
        with self._lock:
            try:
                self._stream.write(data)
                self._stream.flush()
            except (BrokenPipeError, ValueError):  # the runner is gone; stdin's end follows
                pass


class _Run:
    def __init__(self, unit: str, task: Dict[str, Any], gpus: float, gen: Any) -> None:
        self.unit, self.task, self.gpus, self.gen = unit, task, gpus, gen
        self.placed: Optional[Dict[str, Any]] = None
        self.cancelled = False
        self.done = threading.Event()
        self.failure = ""  # set by the monitor: the node's host left, or it can no longer be placed


class Driver:
    def __init__(self, out: Output, workdir: str) -> None:
        import ray

        from . import task

        self.out, self.workdir = out, workdir
        self.runs: Dict[str, _Run] = {}
        self.images: Dict[str, Any] = {}  # image id -> ObjectRef of its `docker save` archive
        self.listing = cluster.nodes()
        self._unit_task = ray.remote(task.run_unit)
        self._pool = ThreadPoolExecutor(8, thread_name_prefix="request")
        self._stop = threading.Event()
        threading.Thread(target=self._monitor, name="monitor", daemon=True).start()

    # requests -------------------------------------------------------------------------------
    def serve(self, stdin: IO[bytes]) -> None:
        for line in stdin:
            if not line.strip():
                continue
            try:
                message = protocol.decode(line)
            except ValueError as exc:
                self.out.send({"ev": "warning", "text": "bad request line: {}".format(exc)})
                continue
            op = message.get("op")
            if op == "exit":
                return
            if op == "submit":
                self._guarded(message, self.submit)
            elif op == "cancel":
                self._guarded(message, self.cancel)
            else:
                self._pool.submit(self._guarded, message, self._request)

    def _guarded(self, message: Dict[str, Any], fn: Any) -> None:
        try:
            reply = fn(message)
        except Exception as exc:
            reply = {"error": str(exc) or type(exc).__name__}
            if message.get("unit") and message.get("op") == "submit":
                self.out.send(
                    {"ev": "done", "unit": message["unit"], "exit_code": None, "error": reply["error"]}
                )
                return
        if message.get("req") is not None:
            self.out.send({"ev": "reply", "req": message["req"], **(reply or {})})

    def _request(self, message: Dict[str, Any]) -> Dict[str, Any]:
        op = message.get("op")
        if op == "nodes":
            return {"nodes": cluster.nodes()}
        if op == "facts":
            return {"facts": cluster.on_each_worker(cluster.engine_facts)}
        if op == "images":
            have = cluster.on_each_worker(cluster.has_image, message["image"], message["id"])
            return {"missing": [n for n, ok in have.items() if ok is not True]}
        if op == "load":
            return self.load(message)
        if op == "leftovers":
            removed = cluster.on_each_worker(
                cluster.remove_ours, message["filters"], message.get("keep", []), message["run_label"]
            )
            return {"removed": removed}
        raise ValueError("unknown request {!r}".format(op))

    def _file(self, name: str) -> str:
        if not _SAFE_NAME.match(name or ""):
            raise ValueError("bad file name {!r}".format(name))
        return os.path.join(self.workdir, name)

    def load(self, message: Dict[str, Any]) -> Dict[str, Any]:
        """An image archive the runner sent: into the object store, once per run."""
        import ray

        path = self._file(message["file"])
        with open(path, "rb") as fh:
            self.images[message["id"]] = ray.put(fh.read())
        os.unlink(path)
        return {}

    # units ----------------------------------------------------------------------------------
    def submit(self, message: Dict[str, Any]) -> None:
        import ray

        unit, task, gpus = message["unit"], message["task"], float(message.get("gpus") or 0)
        path = self._file(message["archive"])
        with open(path, "rb") as fh:
            archive = ray.put(fh.read())
        os.unlink(path)
        why = cluster.infeasible(gpus, cluster.nodes())
        if why:
            self.out.send(
                {"ev": "done", "unit": unit, "exit_code": None, "error": "cannot be placed: " + why}
            )
            return
        options: Dict[str, Any] = {"num_returns": "streaming", "max_retries": 0, "num_gpus": gpus}
        if cluster.uses_slots(self.listing):  # Docker slots, so CPU counts do not cap concurrency
            options.update(num_cpus=0, resources={SLOT_RESOURCE: 1})
        else:
            options.update(num_cpus=1)
        if not gpus:  # CPU work spreads over the workers; GPU work goes where the GPUs are
            options["scheduling_strategy"] = "SPREAD"
        image = [self.images[task["image_id"]]] if task.get("image_id") in self.images else []
        gen = self._unit_task.options(**options).remote(task, [archive], image)
        run = self.runs[unit] = _Run(unit, task, gpus, gen)
        threading.Thread(target=self._follow, args=(run,), name="unit-" + unit, daemon=True).start()

    def cancel(self, message: Dict[str, Any]) -> None:
        """ray.cancel (the task stops its container), then a forced cancel after the grace."""
        import ray

        run = self.runs.get(message["unit"])
        if run is None or run.done.is_set():
            return
        run.cancelled = True
        ray.cancel(run.gen)
        grace = float(message.get("grace", 2.0))

        def force() -> None:
            if not run.done.wait(grace + 1.0):
                ray.cancel(run.gen, force=True)

        threading.Thread(target=force, daemon=True).start()

    def _follow(self, run: _Run) -> None:
        import ray

        unit, result = run.unit, {"exit_code": None, "error": None}
        try:
            for ref in run.gen:
                item = ray.get(ref)
                self._forward(run, item, result)
        except Exception as exc:
            result["error"] = self._explain(run, exc)
        if result["exit_code"] in KILLED and not run.cancelled and not run.failure:
            run.failure = self._await_loss(run)
        if run.failure:
            result["error"] = run.failure
        run.done.set()
        self.out.send({"ev": "done", "unit": unit, **result})

    def _forward(self, run: _Run, item: Any, result: Dict[str, Any]) -> None:
        kind, unit = item[0], run.unit
        if kind == "out":
            self.out.send({"ev": "out", "unit": unit, "stream": item[1], "data": pack(item[2])})
        elif kind == "placed":
            run.placed = item[1]
            self.out.send({"ev": "placed", "unit": unit, **item[1]})
        elif kind == "note":
            self.out.send({"ev": "note", "unit": unit, "text": item[1]})
        elif kind == "stats":
            self.out.send(
                {"ev": "stats", "unit": unit, "frame": item[1], "gpus": item[2], "time": time.time()}
            )
        elif kind == "exit":
            result["exit_code"] = item[1]
        elif kind == "error":
            result["error"] = item[1]
        elif kind in ("outputs", "reports"):
            name = "{}.{}.tar".format(run.task["name"], kind)
            with open(self._file(name), "wb") as fh:
                fh.write(item[1])
            result[kind] = name

    def _explain(self, run: _Run, exc: BaseException) -> str:
        if run.failure:
            return run.failure
        if run.cancelled:
            return "cancelled"
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[-1][:300]
        if run.placed is None:
            return "the cluster could not run it: {}".format(text)
        return "lost {} while the step was running: {}".format(self._where(run), text)

    def _where(self, run: _Run) -> str:
        placed = run.placed or {}
        return "worker node {} ({}, node id {})".format(
            placed.get("hostname", "?"), placed.get("address", "?"), str(placed.get("node_id", ""))[:12]
        )

    def _monitor(self) -> None:
        """Tell the runner when nodes come and go; fail what no longer can run or lost its node."""
        import ray

        while not self._stop.wait(MONITOR_S):
            try:
                listing = cluster.nodes()
            except Exception:
                continue
            if _shape(listing) != _shape(self.listing):
                self.out.send({"ev": "nodes", "nodes": listing})
            self.listing = listing
            for run in list(self.runs.values()):
                if run.done.is_set() or run.failure:
                    continue
                if run.placed is None:
                    why = cluster.infeasible(run.gpus, listing)
                    if why:
                        run.failure = "cannot be placed any more: " + why
                        ray.cancel(run.gen, force=True)
                elif self._lost(run, listing):
                    run.failure = self._lost(run, listing)
                    ray.cancel(run.gen, force=True)

    def _await_loss(self, run: _Run) -> str:
        """A step killed by a signal we did not send: its node may be going down (its worker's
        death closed the container's stdin, task.SUPERVISE) before the head has noticed."""
        deadline = time.monotonic() + LOSS_WAIT_S
        while time.monotonic() < deadline:
            why = self._lost(run, cluster.nodes())
            if why:
                return why
            time.sleep(0.5)
        return ""

    def _lost(self, run: _Run, listing: List[Dict[str, Any]]) -> str:
        """Why ``run`` failed if its node is gone from the cluster ("" while it is alive)."""
        node_id = (run.placed or {}).get("node_id")
        node = next((n for n in listing if n["id"] == node_id), None)
        if node_id is None or (node is not None and node["alive"]):
            return ""
        reason = (node or {}).get("death") or "it stopped answering the head"
        return "lost {}: the node left the cluster ({})".format(self._where(run), reason)

    def close(self) -> None:
        import ray

        self._stop.set()
        for run in self.runs.values():
            if not run.done.is_set():
                with contextlib.suppress(Exception):
                    ray.cancel(run.gen, force=True)
        self._pool.shutdown(wait=False)


def _shape(listing: List[Dict[str, Any]]) -> List[Any]:
    return sorted((n["id"], n["alive"], n["cpus"], n["gpus"], n["slots"]) for n in listing)


def _loopback(address: str) -> bool:
    return address.startswith(_LOOPBACK)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="pipeline-designer-ray-driver")
    parser.add_argument("--address", default="auto")
    args = parser.parse_args(argv)
    # Protocol lines only on the real stdout: whatever else prints (Ray's banners) goes to stderr.
    out = Output(os.fdopen(os.dup(1), "wb"))
    os.dup2(2, 1)
    if sys.version_info < (3, 9):
        out.send(
            {"ev": "fatal", "error": "the cluster's Python is {}; 3.9 or later is needed".format(sys.version)}
        )
        return 3
    if _loopback(args.address):
        # A head on the loopback: Ray would swap 127.0.0.1 for the machine's outward address.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
    except ImportError as exc:
        out.send({"ev": "fatal", "error": "Ray is not installed for {} ({})".format(sys.executable, exc)})
        return 3
    try:
        ray.init(address=args.address, namespace="pipeline-designer", logging_level=logging.WARNING,
                 log_to_driver=False)  # fmt: skip
    except Exception as exc:
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
        out.send(
            {"ev": "fatal", "error": "cannot connect to the Ray cluster at {}: {}".format(args.address, text)}
        )
        return 3
    package = sys.modules[__package__]
    ray.cloudpickle.register_pickle_by_value(package)  # the workers have none of our code
    workdir = tempfile.mkdtemp(prefix="pipeline-designer-ray-")
    driver = Driver(out, workdir)
    try:
        out.send(
            {
                "ev": "ready",
                "version": protocol.VERSION,
                "ray": ray.__version__,
                "python": platform.python_version(),
                "workdir": workdir,
                "nodes": driver.listing,
            }
        )
        driver.serve(sys.stdin.buffer)
    finally:
        driver.close()
        shutil.rmtree(workdir, ignore_errors=True)
        ray.shutdown()
    return 0
