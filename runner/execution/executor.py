"""The executor loop: asks the scheduler what to start, drives the backend, records everything.

Single-threaded except for the backend's reader threads (which only buffer lines and set the
wakeup event) and short-lived terminate threads (so several containers stop in parallel).
One execution's launch, polling and completion: runner.execution.lifecycle; task nodes:
task_node; node actions and approvals: actions; on-error: on_error.
"""

from __future__ import annotations

import contextlib
import functools
import os
import queue
import secrets
import shutil
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.dag.scheduler import Scheduler
from runner.debug.debugger import DebugHooks, DebugSessions
from runner.deploy.deployments import DEFAULT_TIMEOUT, Deployments
from runner.events import (
    CANCELLED,
    FAILED,
    PENDING,
    Event,
    LogLine,
    NodeStateChanged,
    RunFinished,
    RunStarted,
)
from runner.execution.actions import ActionGate, ActionHooks
from runner.execution.backend import Backend, Handle
from runner.execution.code import tree_hash
from runner.execution.lifecycle import Running, UnitLifecycle
from runner.execution.on_error import ErrorPolicy
from runner.execution.placement import NoHostError, Placement, Placer
from runner.execution.plan import RunPlan
from runner.execution.prepare import NodeResult, RunContext
from runner.execution.spec import ExecutionSpec, container_name
from runner.execution.task_node import TaskRunner
from runner.metadata import iso_time
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore

Emit = Callable[[Event], None]


@dataclass
class RunOptions:
    concurrency: int = field(default_factory=lambda: os.cpu_count() or 1)
    reuse: bool = True  # --no-reuse turns it off; a pipeline's reuse-executions: true agrees
    strict: bool = False  # join commands with && instead of newlines
    image_map: dict[str, str] = field(default_factory=dict)
    grace: float = 2.0  # seconds between SIGTERM and SIGKILL when stopping a step
    keep_workdirs: bool = False
    labels: dict[str, str] = field(default_factory=dict)  # extra container labels (tests find theirs)
    endpoint_timeout: float = DEFAULT_TIMEOUT  # seconds a deployment's endpoint gets to answer HTTP
    debug_nodes: tuple[str, ...] = ()  # run under debugpy, waiting for a debugger (runner.debug)


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


class Executor(UnitLifecycle):
    def __init__(
        self,
        plan: RunPlan,
        backend: Backend,
        store: RunStore,
        artifacts: ArtifactStore,
        data_dir: Path,
        options: RunOptions | None = None,
        emit: Emit | None = None,
        run_id: str | None = None,
    ) -> None:
        self.plan = plan
        self.backend = backend
        self.store = store
        self.artifacts = artifacts
        self.data_dir = data_dir
        self.options = options or RunOptions()
        self._emit_cb = emit
        self.run_id = run_id or new_run_id()
        self._stop = threading.Event()
        self._wakeup = threading.Event()
        self._running: dict[str, Running] = {}
        self._image_ids: dict[str, str] = {}  # image -> engine image id, looked up once per run
        self._launching: dict[str, tuple[Future[Handle], ExecutionSpec, str]] = {}
        self._pool = ThreadPoolExecutor(max_workers=self.options.concurrency, thread_name_prefix="launch")
        self._results: dict[str, NodeResult] = {}
        # Multi-host runs: the backend's placer picks a host (and GPUs) for each ready node.
        self._placer: Placer | None = getattr(backend, "placer", None)
        self._placements: dict[str, Placement] = {}
        self._unplaceable: dict[str, str] = {}
        self._notes: queue.Queue[tuple[str, str]] = queue.Queue()  # backend progress, any thread
        if hasattr(backend, "set_reporter"):
            backend.set_reporter(self._note)
        concurrency = self.options.concurrency
        if self._placer is not None:
            concurrency = min(concurrency, self._placer.capacity)
        self._sched = Scheduler(plan.predecessors, concurrency, plan.order(), plan.on_error)
        # Node actions (when/if/then) and approvals: runner.execution.actions.
        hooks = ActionHooks(
            self._finish,
            self._set_status,
            self._runner_line,
            self._emit,
            self.cancel,
            self._release,
            self._wakeup.set,
        )
        self.actions = ActionGate(plan, self._sched, self.run_id, hooks)
        self._tasks = TaskRunner(self)
        self._errors = ErrorPolicy(self)  # on-error: retry, stop-all (runner.execution.on_error)
        self._ctx: RunContext | None = None  # set by run(); a retry relaunches with it
        # Deployment nodes: endpoint containers that answer HTTP and outlive the run (runner.deploy).
        self.deployments = Deployments(
            self.run_id,
            backend,
            self._emit,
            self._log_path,
            self._wakeup,
            self._stop,
            self.options.endpoint_timeout,
            self.options.grace,
        )
        self._log_dir = data_dir / "logs" / self.run_id
        # --debug nodes: debugpy injected, its port published/forwarded (runner.debug.debugger).
        self.debug = DebugSessions(
            self.run_id, self.options.debug_nodes, backend, DebugHooks(self._runner_line, self._emit)
        )

    # public ------------------------------------------------------------------
    def cancel(self) -> None:
        """Thread-safe: stop launching and terminate running steps."""
        self._stop.set()
        self._wakeup.set()

    def run(self) -> str:
        self._log_dir.mkdir(parents=True, exist_ok=True)
        step = next(iter(self.plan.nodes.values())).step if self.plan.pipeline is None else None
        self.store.create_run(
            self.run_id,
            pipeline=self.plan.pipeline,
            step=step,
            yaml_path=os.path.abspath(self.plan.yaml_path or self.plan.root_dir),  # history --file
            started=time.time(),
            backend=self.backend.name,
            options={"concurrency": self.options.concurrency, "reuse": self.options.reuse},
        )
        self._emit(RunStarted(self.run_id, self.plan.pipeline, tuple(self.plan.order()), time.time()))
        crashed = False
        try:
            ctx = RunContext(
                self.run_id,
                self.plan,
                self.artifacts,
                self.data_dir / "cache",
                tree_hash(self.plan.root_dir),
                self.options.image_map,
                self.options.strict,
                labels=self.options.labels,
            )
            self._ctx = ctx
            for node in self.plan.order():
                self._emit(NodeStateChanged(self.run_id, node, PENDING, time.time()))
            self._loop(ctx)
        except Exception:
            crashed = True  # recorded as failed below, then re-raised to the caller
            raise
        finally:
            # Whatever happened, nothing keeps running and the run gets a final status.
            self._abort_running()
            self.debug.close()
            # Endpoints serve on after the run, unless it was cancelled (or crashed).
            self.deployments.close(keep=not crashed and self._sched.overall() != CANCELLED)
            status = FAILED if crashed else self._sched.overall()
            self.store.finish_run(self.run_id, status, time.time())
            self._emit(RunFinished(self.run_id, status, dict(self._sched.status), time.time()))
            if not self.options.keep_workdirs:
                shutil.rmtree(self.data_dir / "work" / self.run_id, ignore_errors=True)
        return status

    # loop --------------------------------------------------------------------
    def _loop(self, ctx: RunContext) -> None:
        cancelling = False
        while not self._sched.done:
            self._wakeup.clear()  # before looking: a wakeup set from now on is not lost
            self.actions.apply_answers()  # approvals/rejections given from other threads
            if self._stop.is_set() and not cancelling:
                cancelling = True
                for node in self._sched.cancel():
                    self._set_status(node, CANCELLED, message="run cancelled")
                for node, running in self._running.items():
                    self._terminate(node, running, "cancelled")
            ready = self._sched.take_ready(self._admit if self._placer else None)
            for node in ready:
                ctx.log = self._node_logger(node)
                self._start(ctx, node)
            ticked = self._tasks.tick(ctx)  # task nodes start/finish their executions
            self._collect_launches(cancelling)
            for node, status, message in self.deployments.collect():  # endpoints up, or failed
                self._finish(node, status, message=message)
            for node in list(self._running):
                self._pump(node)
            self._drain_notes()
            # Nodes finished without a container (reused, failed to prepare) may have readied
            # others: go round again at once instead of waiting for a wakeup.
            if ready or ticked or self._sched.done:
                continue
            self._wakeup.wait(0.1)

    def _admit(self, node: str) -> bool:
        """Scheduler callback: place the node on a host now, or keep it pending (hosts busy)."""
        assert self._placer is not None
        tpl = self.plan.nodes[node]
        if tpl.kind in ("deployment", "task"):  # a task's executions are placed one by one
            return True
        try:
            placement = self._placer.place(node, self._placer.demand(tpl.gpus, tpl.environment))
        except NoHostError as exc:
            self._unplaceable[node] = str(exc)  # _start fails it with this reason
            return True
        if placement is None:
            return False
        self._placements[node] = placement
        return True

    def _note(self, node: str, text: str) -> None:
        """Thread-safe: a backend's progress line, written by the loop thread."""
        self._notes.put((node, text))
        self._wakeup.set()

    def _drain_notes(self) -> None:
        while True:
            try:
                node, text = self._notes.get_nowait()
            except queue.Empty:
                return
            self._runner_line(node, text)

    def _start(self, ctx: RunContext, node: str) -> None:
        tpl = self.plan.nodes[node]
        if node in self._unplaceable:
            message = f"cannot be placed: {self._unplaceable[node]}"
            self._runner_line(node, f"error: {message}")
            self._finish(node, FAILED, message=message)
            return
        if tpl.kind == "deployment":  # deployed off this thread; deployments.collect() reports back
            self.deployments.start(ctx, node, tpl.endpoints, self._results)
            return
        if tpl.kind == "task":
            self._tasks.start(ctx, node)
            return
        self._launch_unit(ctx, tpl, node)

    def _finish(self, node: str, status: str, execution_id: str | None = None, **info: Any) -> None:
        if self._errors.retry(node, status, execution_id, info):
            return  # on-error: retry relaunched it
        self._release(node)
        self._set_status(node, status, execution_id=execution_id, **info)
        if self._tasks.split(node)[1] is not None:  # a task's execution: the task node goes on
            return
        self._errors.finished(node, status)  # the scheduler skips what on-error says

    def _release(self, node: str) -> None:
        """Give back the node's host placement (finished, or awaiting approval)."""
        if self._placer is not None:
            self._placer.release(node)
            self._placements.pop(node, None)

    def _set_status(self, node: str, status: str, execution_id: str | None = None, **info: Any) -> None:
        now = time.time()
        existing = self.store.execution(self.run_id, node)
        fields = {"run_id": self.run_id, "node": node, "status": status, "ended": now}
        fields.update({k: v for k, v in info.items() if k in ("exit_code", "message", "reused_from")})
        if existing is None:
            fields["step"] = self.plan.nodes[self._tasks.split(node)[0]].step
        execution_id = execution_id or (existing["id"] if existing else f"{self.run_id}-{node}")
        self.store.upsert_execution(execution_id, **fields)
        self._node_event(
            node,
            status,
            now,
            exit_code=info.get("exit_code"),
            message=info.get("message", ""),
            reused_from=info.get("reused_from"),
        )

    def _node_event(
        self,
        unit: str,
        status: str,
        now: float,
        exit_code: int | None = None,
        message: str = "",
        reused_from: str | None = None,
    ) -> None:
        """NodeStateChanged for a node or a task's child (``child=k``), then the task's progress."""
        node, child = self._tasks.split(unit)
        self._emit(NodeStateChanged(self.run_id, node, status, now, exit_code, message, reused_from, child))
        self._tasks.on_status(unit, status)

    def _abort_running(self) -> None:
        """On an exception in the loop (or KeyboardInterrupt): nothing may be left running."""
        for future, _spec, _key in self._launching.values():
            with contextlib.suppress(Exception):
                future.result(timeout=30)
        self._collect_launches(cancelling=False)
        self._pool.shutdown(wait=False)
        for node, running in list(self._running.items()):
            self.backend.terminate(running.handle, 0)
            running.handle.wait(5)
            self.backend.cleanup(running.handle)
            running.log.close()
            self._running.pop(node)
            self._finish(node, CANCELLED, execution_id=running.spec.execution_id, message="aborted")
        self._tasks.abort()
        if not self._sched.done:
            for node in self._sched.cancel():
                self._set_status(node, CANCELLED, message="run aborted")

    # helpers -----------------------------------------------------------------
    def _log_path(self, node: str) -> Path:
        return self._log_dir / f"{container_name(self.run_id, node)}.log"

    def _runner_line(self, node: str, text: str) -> None:
        now = time.time()
        with open(self._log_path(node), "a", encoding="utf-8") as fh:
            fh.write(f"{iso_time(now)} runner {text}\n")
        task_node, child = self._tasks.split(node)
        self._emit(LogLine(self.run_id, task_node, "runner", text, now, child))

    def _node_logger(self, node: str) -> Callable[[str], None]:
        return functools.partial(self._runner_line, node)

    def _warn(self, node: str, text: str) -> None:
        self._runner_line(node, f"warning: {text}")

    def _emit(self, event: Event) -> None:
        if self._emit_cb is None:
            return
        try:
            self._emit_cb(event)
        except Exception as exc:  # a broken subscriber must not break the run
            print(f"pipeline-designer: event subscriber failed: {exc!r}", file=sys.stderr)
