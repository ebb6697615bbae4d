"""A run's endpoints: deployed off the executor loop, reported back through ``collect()``.

The executor calls ``start`` for a ready deployment node and ``collect`` on every loop turn
(on its own thread: log lines, node results and events come out in order). Deploying happens
on a small pool. Endpoints that answered keep serving after the run: ``close(keep=True)`` at
the end of the run hands their logs to a follower thread until ``stop_all`` (``RunHandle.
stop_endpoints``) or a cancelled/crashed run stops them.

A new deployment of the same yaml + pipeline + node + endpoint removes the earlier container
(whichever run or process started it), so repeated runs never pile up containers or ports.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from runner.deploy.endpoint import DeployError, EndpointSpec, endpoint_specs
from runner.events import (
    CANCELLED,
    FAILED,
    RUNNING,
    SUCCEEDED,
    EndpointReady,
    EndpointStopped,
    LogLine,
    NodeStateChanged,
)
from runner.execution.backend import Handle
from runner.execution.prepare import RunContext
from runner.execution.run_state import RunState
from runner.metadata import iso_time

_TAIL = 20  # log lines quoted in a failed node's message


class _Aborted(Exception):
    """The run was cancelled or the endpoints stopped while deploying."""


@dataclass
class _Endpoint:
    spec: EndpointSpec
    handle: Handle
    url: str = ""
    failed: bool = False
    prefix: str = ""  # "[name] " on the log lines of a node with several endpoints
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=_TAIL))


@dataclass
class _NodeDeploy:
    node: str
    future: Future[None] | None = None
    endpoints: list[_Endpoint] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # runner lines from the deploy thread
    error: str = ""  # set when the node failed before anything was submitted


class Deployments:
    """The run's deployment nodes; ``state`` is the run's (RunState), ``backend`` runs its steps."""

    def __init__(self, state: RunState, backend: Any) -> None:
        self.run_id = state.run_id
        self.timeout = state.options.endpoint_timeout
        self.grace = state.options.grace
        self._backend = backend
        self._emit = state.emit
        self._log_path = state.log.path
        self._wakeup = state.wakeup
        self._cancelled = state.stop  # the run's stop event
        self._results = state.results  # what the upstream nodes hand on
        self._abort = threading.Event()  # stop_all(): in-flight deployments give up
        self._lock = threading.RLock()  # the live list and log writes (loop, follower, stop_all)
        self._engine: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: dict[str, _NodeDeploy] = {}
        self._live: list[_Endpoint] = []
        self._follow = threading.Event()
        self._follower: threading.Thread | None = None

    # executor side (loop thread) ---------------------------------------------------------
    def start(self, ctx: RunContext, node: str, endpoints: dict[str, Any]) -> None:
        """Begin deploying ``node``'s endpoints; ``collect`` reports how it ended."""
        nd = _NodeDeploy(node)
        self._pending[node] = nd
        try:
            specs = endpoint_specs(ctx, node, endpoints, self._results)
        except DeployError as exc:
            nd.error = str(exc)
            return
        self._emit(NodeStateChanged(self.run_id, node, RUNNING, time.time()))
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="deploy")
        nd.future = self._pool.submit(self._deploy, nd, specs, ctx)
        nd.future.add_done_callback(lambda _f: self._wakeup.set())

    def collect(self) -> list[tuple[str, str, str]]:
        """Stream new log lines; ``(node, status, message)`` for each deployment node that ended."""
        ended = []
        for node, nd in list(self._pending.items()):
            done = nd.future is None or nd.future.done()  # before draining: no line is missed
            self._drain_node(nd)
            if done:
                del self._pending[node]
                ended.append((node, *self._outcome(nd)))
        with self._lock:
            self._drain_live()
        return ended

    def close(self, keep: bool) -> None:
        """End of the run: keep the endpoints serving (logs followed) or stop them all."""
        if self._pool is not None:
            self._pool.shutdown(wait=False)
        if not keep:
            self.stop_all()
            return
        with self._lock:
            if not self._live:
                return
            for ep in self._live:
                ep.handle.wakeup = self._follow
        self._follower = threading.Thread(
            target=self._follow_logs, name=f"endpoints-{self.run_id}", daemon=True
        )
        self._follower.start()

    # anyone --------------------------------------------------------------------------
    @property
    def serving(self) -> list[tuple[str, str, str]]:
        """``(node, endpoint, url)`` of every endpoint up now."""
        with self._lock:
            return [(ep.spec.node, ep.spec.endpoint, ep.url) for ep in self._live]

    def stop_all(self) -> None:
        """Stop and remove every endpoint of the run (in parallel); emits EndpointStopped."""
        self._abort.set()
        unreported = []  # deployed, but the loop has not announced them (crashed run, or a race)
        for nd in list(self._pending.values()):
            with contextlib.suppress(Exception):  # a failed deploy thread removed what it started
                if nd.future is not None and nd.future.exception(timeout=30) is None:
                    unreported.extend(nd.endpoints)
        with self._lock:
            live, self._live = self._live, []
        if live or unreported:
            with ThreadPoolExecutor(max_workers=8, thread_name_prefix="endpoint-stop") as pool:
                list(pool.map(lambda ep: self._engine.stop(ep.handle, self.grace), live + unreported))
        with self._lock:
            for ep in live:
                self._drain_endpoint(ep)
                self._write(ep.spec.node, [("runner", f"endpoint {ep.spec.endpoint} stopped", time.time())])
                self._emit(EndpointStopped(self.run_id, ep.spec.node, ep.spec.endpoint, time.time()))
        self._follow.set()

    # deploy thread -------------------------------------------------------------------
    def _deploy(self, nd: _NodeDeploy, specs: list[EndpointSpec], ctx: RunContext) -> None:
        from runner.deploy.container import wait_until_serving

        engine = self._engine_for(ctx, nd)
        try:
            for spec in specs:
                for name in engine.replace(spec.key):
                    nd.notes.append(f"removed the earlier endpoint {name} (same yaml, pipeline and node)")
                nd.notes.append(f"starting endpoint {spec.endpoint}: {spec.container_name} ({spec.image})")
                handle = engine.launch(spec, self._wakeup)
                ep = _Endpoint(spec, handle, prefix=f"[{spec.endpoint}] " if len(specs) > 1 else "")
                nd.endpoints.append(ep)
                port = engine.host_port(handle, spec.port)
                if port is None and not handle.wait(5):  # no port and still running: the engine's fault
                    raise DeployError(f"endpoint {spec.endpoint!r}: the engine published no port {spec.port}")
                why = (
                    "exited"
                    if port is None
                    else wait_until_serving(handle, port, self.timeout, self._aborting)
                )
                if why == "aborted":
                    raise _Aborted()
                if why is not None:
                    ep.failed = True
                    raise DeployError(self._why(spec, handle, why))
                ep.url = f"http://127.0.0.1:{port}/"
        except BaseException:
            for ep in nd.endpoints:  # none of the node's endpoints survive a failure
                engine.stop(ep.handle, 0)
            raise

    def _why(self, spec: EndpointSpec, handle: Handle, why: str) -> str:
        where = f"endpoint {spec.endpoint!r}"
        if why == "exited":
            code = handle.error or f"exit code {handle.exit_code}"
            return f"{where} exited ({code}) before answering HTTP on port {spec.port}"
        return f"{where} did not answer HTTP on port {spec.port} within {self.timeout:g} s"

    def _aborting(self) -> bool:
        return self._abort.is_set() or self._cancelled.is_set()

    def _engine_for(self, ctx: RunContext, nd: _NodeDeploy) -> Any:
        from runner.deploy.container import EndpointEngine  # the Docker SDK only when deploying

        with self._lock:
            if self._engine is None:
                try:
                    client, pull, where = _local_client(self._backend)
                except Exception as exc:  # the SDK's words alone do not say what needed it
                    raise DeployError(
                        f"deployments need the local Docker engine, not reachable: {exc}"
                    ) from exc
                if where:
                    nd.notes.append(f"deployments run on the local Docker engine (this run's steps: {where})")
                self._engine = EndpointEngine(client, ctx.artifacts, pull)
                for name in self._engine.remove_orphans():
                    nd.notes.append(f"removed endpoint {name}: the process that started it is gone")
            return self._engine

    # log lines and outcomes ------------------------------------------------------------
    def _outcome(self, nd: _NodeDeploy) -> tuple[str, str]:
        if nd.error or nd.future is None:
            self._write(nd.node, [("runner", f"error: {nd.error}", time.time())])
            return FAILED, nd.error
        try:
            nd.future.result()
        except _Aborted:
            return CANCELLED, "cancelled"
        except Exception as exc:
            message = str(exc)
            self._write(nd.node, [("runner", f"error: {message}", time.time())])
            tail = next((list(ep.tail) for ep in nd.endpoints if ep.failed), [])
            if tail:
                message += "; last log lines:\n" + "\n".join(tail)
            return FAILED, message
        with self._lock:  # atomic with stop_all's taking of the live list
            stopped = self._abort.is_set()
            if not stopped:
                self._live.extend(nd.endpoints)
        if stopped:  # stop_all() came first: stopped, never announced
            for ep in nd.endpoints:
                self._engine.stop(ep.handle, 0)
            return CANCELLED, "endpoints stopped"
        now = time.time()
        for ep in nd.endpoints:
            self._write(nd.node, [("runner", f"endpoint {ep.spec.endpoint} is serving at {ep.url}", now)])
            self._emit(
                EndpointReady(self.run_id, nd.node, ep.spec.endpoint, ep.url, ep.spec.container_name, now)
            )
        return SUCCEEDED, ""

    def _drain_node(self, nd: _NodeDeploy) -> None:
        notes, nd.notes[:] = list(nd.notes), []
        now = time.time()
        self._write(nd.node, [("runner", text, now) for text in notes])
        for ep in list(nd.endpoints):
            self._drain_endpoint(ep)

    def _drain_endpoint(self, ep: _Endpoint) -> None:
        lines = ep.handle.drain()
        ep.tail.extend(text for _stream, text, _when in lines)
        self._write(ep.spec.node, [(s, ep.prefix + t, w) for s, t, w in lines])

    def _drain_live(self) -> None:
        """Stream the live endpoints' logs; one that exited on its own is removed and announced."""
        for ep in list(self._live):
            self._drain_endpoint(ep)
            if ep.handle.finished:
                self._live.remove(ep)
                self._engine.cleanup(ep.handle)
                code = ep.handle.error or f"exit code {ep.handle.exit_code}"
                self._write(
                    ep.spec.node, [("runner", f"endpoint {ep.spec.endpoint} exited ({code})", time.time())]
                )
                self._emit(EndpointStopped(self.run_id, ep.spec.node, ep.spec.endpoint, time.time()))

    def _follow_logs(self) -> None:
        while True:
            self._follow.wait(0.5)
            self._follow.clear()
            with self._lock:
                self._drain_live()
                if not self._live:
                    return

    def _write(self, node: str, lines: list[tuple[str, str, float]]) -> None:
        """Append to the node's log file and publish, like the executor does for steps."""
        if not lines:
            return
        with self._lock, open(self._log_path(node), "a", encoding="utf-8") as fh:
            for stream, text, when in lines:
                fh.write(f"{iso_time(when)} {stream} {text}\n")
                self._emit(LogLine(self.run_id, node, stream, text, when))


def _local_client(backend: Any) -> tuple[Any, str, str]:
    """The local engine's client and pull policy; and the steps' backend when it is not that engine."""
    local = getattr(backend, "backends", {}).get("local", backend)
    where = "" if getattr(backend, "name", "") in ("docker", "docker-archive") else str(backend.name)
    if getattr(local, "name", "") in ("docker", "docker-archive"):
        return local.client, local.pull, where
    from runner.execution.docker_backend import docker_client

    return docker_client(), "missing", where
