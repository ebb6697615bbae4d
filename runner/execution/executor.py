"""The executor: one run's loop. It asks the scheduler what to start, hands the work to its
parts and records every outcome.

The parts share one ``RunState`` (runner.execution.run_state) and each gets a narrow hooks
object, never the executor: ``UnitRunner`` (units: prepare, reuse, launch, stream, complete one
execution on the backend), ``TaskRunner`` (task_node: sweeps), ``ActionGate`` (actions: when/if/
then, approvals), ``ErrorPolicy`` (on_error: retry, stop-all) and ``Deployments``
(runner.deploy.deployments: endpoints). ``_finish`` is where every outcome comes back.

Threads: the loop runs on the caller's thread (``run``); the backend's reader threads only
buffer lines and set ``wakeup``; launches run on the unit runner's pool, terminations on short
threads. Other threads reach the run through ``cancel``, ``call_soon`` and the ActionGate's
approve/reject, all thread-safe.
"""

from __future__ import annotations

import os
import queue
import secrets
import shutil
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from runner.dag.scheduler import Scheduler
from runner.debug.debugger import BREAKPOINT, DebugHooks, DebugSessions
from runner.debug.failure import locals_path
from runner.deploy.deployments import Deployments
from runner.events import CANCELLED, FAILED, PENDING, Event, NodeStateChanged, RunFinished, RunStarted
from runner.execution.actions import ActionGate, ActionHooks
from runner.execution.backend import Backend
from runner.execution.on_error import ErrorHooks, ErrorPolicy
from runner.execution.placement import RunPlacements
from runner.execution.plan import RunPlan
from runner.execution.prepare import RunContext
from runner.execution.recording import CodeRecorder
from runner.execution.run_state import Emit, RunLog, RunOptions, RunState, drained, task_nodes
from runner.execution.spec import ExecutionSpec
from runner.execution.task_node import TaskHooks, TaskRunner
from runner.execution.units import UnitHooks, UnitRunner
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore
from runner.store.space import as_disk_full

__all__ = ["Emit", "Executor", "RunOptions", "new_run_id"]

T = TypeVar("T")


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


class Executor:
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
        emit_batch: Callable[[list[Event]], None] | None = None,  # many at once (a step's lines)
    ) -> None:
        self.plan = plan
        self.backend = backend
        self.data_dir = data_dir
        self.options = options = options or RunOptions()
        self.run_id = run_id = run_id or new_run_id()
        self._emit_cb = emit
        self._emit_batch_cb = emit_batch
        self._calls: queue.Queue[tuple[Callable[[], Any], Future[Any]]] = queue.Queue()
        self._calls_lock = threading.Lock()
        self._ended = False
        # Multi-host runs: the backend's placer picks a host (and GPUs) for each ready unit.
        placer = getattr(backend, "placer", None)
        concurrency = options.concurrency if placer is None else min(options.concurrency, placer.capacity)
        self.state = st = RunState(
            run_id,
            plan,
            options,
            store,
            artifacts,
            Scheduler(plan.predecessors, concurrency, plan.order(), plan.on_error),
            RunPlacements(placer),
            self._emit,
            RunLog(run_id, data_dir / "logs" / run_id, self._emit, task_nodes(plan)),
            emit_all=self._emit_all,
        )
        self.actions = ActionGate(st, ActionHooks(self._finish, self._set_status, self.cancel))
        self.errors = ErrorPolicy(st, ErrorHooks(self._relaunch, self._set_status, self._stop_run))
        # --debug nodes: debugpy injected, its port published/forwarded; captured locals
        # (runner.debug.debugger).
        hooks = DebugHooks(st.log.line, self._emit, lambda unit: locals_path(st.log.path(unit)))
        self.debug = DebugSessions(
            run_id, options.debug_nodes, backend, hooks, options.capture_locals, options.pycharm
        )
        # The run's code: a snapshot, the reads of each unit and the reuse decisions (recording).
        self.code = CodeRecorder(
            store,
            artifacts,
            plan.root_dir,
            plan.yaml_path,
            plan.yaml_text,
            keep=options.keep_code,
            snapshot=options.snapshot,
        )
        self.units = UnitRunner(
            st,
            backend,
            UnitHooks(
                attempt=self.errors.attempt,
                starting=self._starting,
                complete=self.actions.on_complete,
                finish=self._finish,
                status=lambda unit, status: self._node_event(unit, status, time.time()),
                metadata=lambda unit, records: self.tasks.on_metadata(unit, records),
            ),
            self.debug,
            self.code,
        )
        self.tasks = TaskRunner(
            st,
            TaskHooks(
                launch=self.units.launch,
                terminate=self.units.terminate,
                attempt=self.errors.attempt,
                starting=self.actions.on_starting,
                complete=self.actions.on_complete,
                finish=self._finish,
            ),
        )
        # Deployment nodes: endpoint containers that answer HTTP and outlive the run (runner.deploy).
        self.deployments = Deployments(st, backend)

    # public ------------------------------------------------------------------
    def cancel(self) -> None:
        """Thread-safe: stop launching and terminate running steps."""
        self.state.stop.set()
        self.state.wakeup.set()

    def call_soon(self, fn: Callable[[], T]) -> Future[T]:
        """Thread-safe: run ``fn`` on the loop thread at its next turn; its result (or exception)
        comes back in the future. What another thread needs of the run's state (a running
        unit's handle, ``self.units`` / ``self.state``) is read this way. Once the run has ended
        the future fails with RuntimeError."""
        future: Future[T] = Future()
        with self._calls_lock:
            if self._ended:
                future.set_exception(RuntimeError(f"run {self.run_id} has ended"))
                return future
            self._calls.put((fn, future))
        self.state.wakeup.set()
        return future

    def run(self) -> str:
        st, plan = self.state, self.plan
        st.log.dir.mkdir(parents=True, exist_ok=True)
        step = next(iter(plan.nodes.values())).step if plan.pipeline is None else None
        st.store.create_run(
            self.run_id,
            pipeline=plan.pipeline,
            step=step,
            yaml_path=os.path.abspath(plan.yaml_path or plan.root_dir),  # history --file
            started=time.time(),
            backend=self.backend.name,
            options={"concurrency": self.options.concurrency, "reuse": self.options.reuse},
        )
        self._emit(RunStarted(self.run_id, plan.pipeline, tuple(plan.order()), time.time()))
        crashed = False
        stopped = ""  # a full disk: said on every node it stopped, and the run fails
        try:
            ctx = RunContext(
                self.run_id,
                plan,
                st.artifacts,
                self.data_dir / "cache",
                self.code.start(self.run_id).key(),
                self.options.image_map,
                self.options.strict,
                labels=self.options.labels,
                stop=st.stop,
            )
            st.ctx = ctx
            for node in plan.order():
                self._emit(NodeStateChanged(self.run_id, node, PENDING, time.time()))
            self._loop(ctx)
        except Exception as exc:
            full = as_disk_full(exc, self.data_dir)
            if full is None:
                crashed = True  # recorded as failed below, then re-raised to the caller
                raise
            stopped = str(full)
            self.cancel()  # no retry, no new launch while the room is freed and recorded
        finally:
            # Whatever happened, nothing keeps running and the run gets a final status.
            self._end_calls()
            self._abort_running(stopped)
            self.debug.close()
            # Endpoints serve on after the run, unless it was cancelled (or crashed).
            self.deployments.close(keep=not crashed and st.scheduler.overall() != CANCELLED)
            status = FAILED if crashed else st.scheduler.overall()
            st.store.finish_run(self.run_id, status, time.time())
            self._emit(RunFinished(self.run_id, status, dict(st.scheduler.status), time.time()))
            if not self.options.keep_workdirs:
                shutil.rmtree(self.data_dir / "work" / self.run_id, ignore_errors=True)
        return status

    # loop --------------------------------------------------------------------
    def _loop(self, ctx: RunContext) -> None:
        st, sched = self.state, self.state.scheduler
        cancelling = False
        while not sched.done:
            st.wakeup.clear()  # before looking: a wakeup set from now on is not lost
            self.actions.apply_answers()  # approvals/rejections given from other threads
            self._run_calls()
            if st.stop.is_set() and not cancelling:
                cancelling = True
                for node in sched.cancel():
                    self._set_status(node, CANCELLED, message="run cancelled")
                for unit in list(st.running):
                    self.units.terminate(unit, "cancelled")
            ready = sched.take_ready(self._admit if st.placements.active else None)
            for node in ready:
                ctx.log = st.log.logger(node)
                self._start(ctx, node)
            ticked = self.tasks.tick(ctx)  # task nodes start/finish their executions
            self.units.collect_launches(cancelling)
            for node, status, message in self.deployments.collect():  # endpoints up, or failed
                self._finish(node, status, message=message)
            self.units.pump()
            # Nodes finished without a container (reused, failed to prepare) may have readied
            # others: go round again at once instead of waiting for a wakeup.
            if ready or ticked or sched.done:
                continue
            st.wakeup.wait(0.1)

    def _admit(self, node: str) -> bool:
        """Scheduler callback: place the node on a host now, or keep it pending (hosts busy)."""
        tpl = self.plan.nodes[node]
        if tpl.kind in ("deployment", "task"):  # a task's executions are placed one by one
            return True
        return self.state.placements.place(node, tpl.gpus, tpl.environment)

    def _start(self, ctx: RunContext, node: str) -> None:
        tpl = self.plan.nodes[node]
        if tpl.kind == "deployment":  # deployed off this thread; deployments.collect() reports back
            self.deployments.start(ctx, node, tpl.endpoints)
        elif tpl.kind == "task":
            self.tasks.start(ctx, node)
        else:
            self.units.launch(ctx, tpl, node)

    def _run_calls(self) -> None:
        for fn, future in drained(self._calls):
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except Exception as exc:  # the caller gets it; the run goes on
                future.set_exception(exc)

    def _end_calls(self) -> None:
        with self._calls_lock:
            self._ended = True
        for _fn, future in drained(self._calls):
            if future.set_running_or_notify_cancel():
                future.set_exception(RuntimeError(f"run {self.run_id} has ended"))

    # the parts' hooks ----------------------------------------------------------
    def _finish(self, node: str, status: str, execution_id: str | None = None, **info: Any) -> None:
        """Every outcome comes here: a unit's, a task node's, a deployment's, a held node's."""
        if self.errors.retry(node, status, execution_id, info):
            return  # on-error: retry relaunched it
        self.state.placements.release(node)
        self._set_status(node, status, execution_id=execution_id, **info)
        if self.state.split(node)[1] is not None:  # a task's execution: the task node goes on
            return
        self.errors.finished(node, status)  # the scheduler skips what on-error says

    def _set_status(self, node: str, status: str, execution_id: str | None = None, **info: Any) -> None:
        st = self.state
        now = time.time()
        existing = st.store.execution(self.run_id, node)
        fields = {"run_id": self.run_id, "node": node, "status": status, "ended": now}
        fields.update({k: v for k, v in info.items() if k in ("exit_code", "message", "reused_from")})
        if existing is None:
            fields["step"] = self.plan.nodes[st.split(node)[0]].step
        execution_id = execution_id or (existing["id"] if existing else f"{self.run_id}-{node}")
        st.store.upsert_execution(execution_id, **fields)
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
        """NodeStateChanged for a node or a task's execution (``child=k``), then the task's progress."""
        node, child = self.state.split(unit)
        self._emit(NodeStateChanged(self.run_id, node, status, now, exit_code, message, reused_from, child))
        self.tasks.on_status(unit, status)

    def _starting(self, unit: str, spec: ExecutionSpec) -> bool:
        if unit in self.options.pause_before:  # a breakpoint: its world is recorded for a shell
            self.debug.stage(self.state.store, spec, self.backend.name, self.state.log.path(unit))
            if not self.actions.hold_at_start(unit, spec.execution_id, BREAKPOINT):
                return False
        return self.actions.on_starting(unit, spec.parameters, spec.execution_id)

    def set_parameters(self, node: str, values: dict[str, Any]) -> None:
        """Loop thread (through ``call_soon``): values a node paused before its start will run with."""
        if node not in self.plan.nodes:
            raise ValueError(f"no node {node!r} (nodes: {', '.join(self.plan.nodes)})")
        self.plan.nodes[node].explicit.update(values)
        changed = " ".join(f"{k}={v!r}" for k, v in values.items())
        self.state.log.line(node, f"parameters set before it starts: {changed}")

    def _relaunch(self, node: str) -> None:
        """on-error: retry: the node runs again (a task node: every execution anew)."""
        ctx, tpl = self.state.ctx, self.plan.nodes[node]
        assert ctx is not None
        ctx.log = self.state.log.logger(node)
        if tpl.kind == "task":
            self.tasks.restart(ctx, node)
        else:
            self.units.launch(ctx, tpl, node)

    def _stop_run(self, message: str) -> None:
        self.actions.stopped = self.actions.stopped or message  # running nodes end cancelled with it
        self.cancel()

    def _abort_running(self, stopped: str = "") -> None:
        """On an exception in the loop (or KeyboardInterrupt): nothing may be left running.
        ``stopped``: the run could not go on (a full disk): running nodes fail with it."""
        if stopped:
            self.units.abort(FAILED, stopped)
        else:
            self.units.abort()
        self.tasks.abort()
        if not self.state.scheduler.done:
            why = f"run stopped: {stopped}" if stopped else "run aborted"
            for node in self.state.scheduler.cancel():
                self._set_status(node, CANCELLED, message=why)

    def _emit_all(self, events: list[Event]) -> None:
        if self._emit_batch_cb is None:
            for event in events:
                self._emit(event)
            return
        try:
            self._emit_batch_cb(events)
        except Exception as exc:  # a broken subscriber must not break the run
            print(f"pipeline-designer: event subscriber failed: {exc!r}", file=sys.stderr)

    def _emit(self, event: Event) -> None:
        if self._emit_cb is None:
            return
        try:
            self._emit_cb(event)
        except Exception as exc:  # a broken subscriber must not break the run
            print(f"pipeline-designer: event subscriber failed: {exc!r}", file=sys.stderr)
