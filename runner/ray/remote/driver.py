"""The driver on the cluster's head: one Ray job per user, cluster and driver version, whose
connection every run shares (daemon.py keeps it; relay.py is each run's way in).

Each run is one *session* speaking ``protocol``: it submits each pipeline node as one
``task.run_unit`` streaming task and forwards what the tasks yield; bulk files arrive and leave
through the session's work folder (SFTP on the runner's side). When a session ends (the run is
over, or its SSH connection dropped) its tasks are cancelled and its work folder and shipped
images let go; Ray's connection and the workers' processes stay for the next run.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Iterable, List, Optional

from . import cluster, protocol
from .protocol import SLOT_RESOURCE, pack

MONITOR_S = 2.0  # how often the node list is looked at (changes, lost nodes, infeasible waits)
KILLED = (137, 143)  # a step ended by SIGKILL or SIGTERM
LOSS_WAIT_S = 20.0  # how long the head may take to declare a lost node dead
FORCE_S = 10.0  # a task whose container was killed has this long to end before Ray kills it
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")


class Output:
    """Protocol lines to one run, from any thread."""

    def __init__(self, write: Callable[[bytes], Any]) -> None:
        self._write, self._lock = write, threading.Lock()

    def send(self, message: Dict[str, Any]) -> None:
        data = protocol.encode(message)
        with self._lock, contextlib.suppress(OSError, ValueError):  # the run is gone: its end follows
            self._write(data)


class _Run:
    def __init__(self, unit: str, task: Dict[str, Any], gpus: float, gen: Any) -> None:
        self.unit, self.task, self.gpus, self.gen = unit, task, gpus, gen
        self.placed: Optional[Dict[str, Any]] = None
        self.cancelled = False
        self.done = threading.Event()
        self.failure = ""  # set by the monitor: the node's host left, or it can no longer be placed


class Session:
    """One run's requests and units."""

    def __init__(self, driver: "Driver", out: Output, workdir: str) -> None:
        self.driver, self.out, self.workdir = driver, out, workdir
        self.runs: Dict[str, _Run] = {}
        self.images: Dict[str, Any] = {}  # image id -> ObjectRef of its `docker save` archive

    def serve(self, lines: Iterable[bytes]) -> None:
        for line in lines:
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
                self.driver.pool.submit(self._guarded, message, self._request)

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
        listing = self.driver.listing
        why = cluster.infeasible(gpus, listing)
        if why:  # the listing may be up to MONITOR_S old: ask Ray before failing the node
            listing = cluster.nodes()
            why = cluster.infeasible(gpus, listing)
        if why:
            self.out.send(
                {"ev": "done", "unit": unit, "exit_code": None, "error": "cannot be placed: " + why}
            )
            return
        options: Dict[str, Any] = {"num_returns": "streaming", "max_retries": 0, "num_gpus": gpus}
        if cluster.uses_slots(listing):  # Docker slots, so CPU counts do not cap concurrency
            options.update(num_cpus=0, resources={SLOT_RESOURCE: 1})
        else:
            options.update(num_cpus=1)
        if not gpus:  # CPU work spreads over the workers; GPU work goes where the GPUs are
            options["scheduling_strategy"] = "SPREAD"
        image = [self.images[task["image_id"]]] if task.get("image_id") in self.images else []
        gen = self.driver.unit_task.options(**options).remote(task, [archive], image)
        run = self.runs[unit] = _Run(unit, task, gpus, gen)
        threading.Thread(target=self._follow, args=(run,), name="unit-" + unit, daemon=True).start()

    def cancel(self, message: Dict[str, Any]) -> None:
        """ray.cancel (the task sends its container SIGTERM); after the grace SIGKILL to the
        container on its node (the task then removes it and ends); a forced cancel of the task
        when even that did not end it."""
        import ray

        run = self.runs.get(message["unit"])
        if run is None or run.done.is_set():
            return
        run.cancelled = True
        ray.cancel(run.gen)
        grace = float(message.get("grace", 2.0))

        def force() -> None:
            if run.done.wait(grace):
                return
            node_id = (run.placed or {}).get("node_id")
            if node_id:
                cluster.on_node(node_id, cluster.kill_container, run.task["name"])
            if not run.done.wait(FORCE_S):
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
            result["error"] = _explain(run, exc)
        if result["exit_code"] in KILLED and not run.cancelled and not run.failure:
            run.failure = _await_loss(run)
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

    def close(self) -> None:
        """The run is over or gone: its tasks stop, its files and images go."""
        import ray

        for run in list(self.runs.values()):
            if not run.done.is_set():
                with contextlib.suppress(Exception):
                    ray.cancel(run.gen, force=True)
        self.images.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)


class Driver:
    """What every session shares: the node task, the node listing and its monitor."""

    def __init__(self) -> None:
        import ray

        from . import task

        self.listing = cluster.nodes()
        self.unit_task = ray.remote(task.run_unit)
        self.pool = ThreadPoolExecutor(8, thread_name_prefix="request")
        self.sessions: List[Session] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        threading.Thread(target=self._monitor, name="monitor", daemon=True).start()

    def open(self, out: Output) -> Session:
        session = Session(self, out, tempfile.mkdtemp(prefix="pipeline-designer-ray-"))
        with self._lock:
            self.sessions.append(session)
        return session

    def end(self, session: Session) -> None:
        with self._lock:
            self.sessions.remove(session)
        session.close()

    def idle(self) -> bool:
        with self._lock:
            return not self.sessions

    def _monitor(self) -> None:
        """Tell each run when nodes come and go; fail what no longer can run or lost its node."""
        import ray

        while not self._stop.wait(MONITOR_S):
            try:
                listing = cluster.nodes()
            except Exception:
                continue
            changed = _shape(listing) != _shape(self.listing)
            self.listing = listing
            with self._lock:
                sessions = list(self.sessions)
            for session in sessions:
                if changed:
                    session.out.send({"ev": "nodes", "nodes": listing})
                for run in list(session.runs.values()):
                    if run.done.is_set() or run.failure:
                        continue
                    if run.placed is None:
                        why = cluster.infeasible(run.gpus, listing)
                        if why:
                            run.failure = "cannot be placed any more: " + why
                            ray.cancel(run.gen, force=True)
                    elif _lost(run, listing):
                        run.failure = _lost(run, listing)
                        ray.cancel(run.gen, force=True)

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            sessions = list(self.sessions)
        for session in sessions:
            session.close()
        self.pool.shutdown(wait=False)


def _explain(run: _Run, exc: BaseException) -> str:
    if run.failure:
        return run.failure
    if run.cancelled:
        return "cancelled"
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[-1][:300]
    if run.placed is None:
        return "the cluster could not run it: {}".format(text)
    return "lost {} while the step was running: {}".format(_where(run), text)


def _where(run: _Run) -> str:
    placed = run.placed or {}
    return "worker node {} ({}, node id {})".format(
        placed.get("hostname", "?"), placed.get("address", "?"), str(placed.get("node_id", ""))[:12]
    )


def _await_loss(run: _Run) -> str:
    """A step killed by a signal we did not send: its node may be going down (its worker's
    death closed the container's stdin, task.SUPERVISE) before the head has noticed."""
    deadline = time.monotonic() + LOSS_WAIT_S
    while time.monotonic() < deadline:
        why = _lost(run, cluster.nodes())
        if why:
            return why
        time.sleep(0.5)
    return ""


def _lost(run: _Run, listing: List[Dict[str, Any]]) -> str:
    """Why ``run`` failed if its node is gone from the cluster ("" while it is alive)."""
    node_id = (run.placed or {}).get("node_id")
    node = next((n for n in listing if n["id"] == node_id), None)
    if node_id is None or (node is not None and node["alive"]):
        return ""
    reason = (node or {}).get("death") or "it stopped answering the head"
    return "lost {}: the node left the cluster ({})".format(_where(run), reason)


def _shape(listing: List[Dict[str, Any]]) -> List[Any]:
    return sorted((n["id"], n["alive"], n["cpus"], n["gpus"], n["slots"]) for n in listing)
