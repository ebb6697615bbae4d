"""One execution's life in the executor: prepare, reuse or launch it, stream its output and
metadata while it runs, stop it (time limits, cancel) and complete it (collect outputs, status).

A mixin of ``Executor`` (runner.execution.executor): the loop, scheduling and bookkeeping live
there; what one container goes through lives here. It runs on the executor's loop thread
(launches themselves on its pool).
"""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from runner.events import (
    CANCELLED,
    FAILED,
    PENDING,
    REUSED,
    RUNNING,
    SUCCEEDED,
    LogLine,
    MetadataRecord,
)
from runner.execution.backend import Backend, Handle
from runner.execution.engine_errors import describe_engine_error
from runner.execution.plan import NodeTemplate, RunPlan
from runner.execution.prepare import (
    NodeResult,
    PrepareError,
    RunContext,
    adopt_reusable,
    prepare_spec,
    reuse_key,
)
from runner.execution.spec import ExecutionSpec, OutputFile, container_name
from runner.metadata import iso_time, parse_metadata_line, with_time

if TYPE_CHECKING:
    from pathlib import Path

    from runner.debug.debugger import DebugSessions
    from runner.execution.actions import ActionGate
    from runner.execution.executor import RunOptions
    from runner.execution.on_error import ErrorPolicy
    from runner.execution.placement import Placement
    from runner.execution.task_node import TaskRunner
    from runner.store.artifacts import ArtifactStore
    from runner.store.db import RunStore


@dataclass
class Running:
    """A launched execution the loop polls."""

    handle: Handle
    spec: ExecutionSpec
    key: str
    log: IO[str]
    seq: int = 0
    reason: str = ""  # why we stopped it (time limit, no output, cancel)


class UnitLifecycle:
    """Launch, poll and complete executions (a plain node, or a task's child ``node#k``)."""

    # the executor's state these methods use
    plan: RunPlan
    run_id: str
    backend: Backend
    store: RunStore
    artifacts: ArtifactStore
    options: RunOptions
    actions: ActionGate
    debug: DebugSessions
    _wakeup: threading.Event
    _running: dict[str, Running]
    _launching: dict[str, tuple[Future[Handle], ExecutionSpec, str]]
    _pool: ThreadPoolExecutor
    _results: dict[str, NodeResult]
    _placements: dict[str, Placement]
    _image_ids: dict[str, str]
    _tasks: TaskRunner
    _errors: ErrorPolicy

    if TYPE_CHECKING:  # the executor's own methods

        def _finish(self, node: str, status: str, execution_id: str | None = None, **info: Any) -> None: ...
        def _runner_line(self, node: str, text: str) -> None: ...
        def _warn(self, node: str, text: str) -> None: ...
        def _emit(self, event: Any) -> None: ...
        def _node_event(
            self,
            unit: str,
            status: str,
            now: float,
            exit_code: int | None = None,
            message: str = "",
            reused_from: str | None = None,
        ) -> None: ...
        def _drain_notes(self) -> None: ...
        def _log_path(self, node: str) -> Path: ...

    def _launch_unit(
        self, ctx: RunContext, tpl: NodeTemplate, node: str, varied: dict[str, Any] | None = None
    ) -> None:
        """Prepare, reuse or launch one execution: a plain node, or a task's child ``node#k``."""
        try:
            attempt = self._errors.attempt(node)
            spec = prepare_spec(ctx, tpl, self._results, node, varied, attempt)
        except PrepareError as exc:
            self._runner_line(node, f"error: {exc}")
            self._finish(node, FAILED, message=str(exc))
            return
        if attempt == 1 and not self.actions.on_starting(node, spec.parameters, spec.execution_id):
            return  # a node-starting action held it for approval or stopped the pipeline
        placement = self._placements.get(node)
        if placement is not None:
            spec.host, spec.gpu_ids = placement.host, placement.gpu_ids
        self.debug.prepare(spec)  # --debug: debugpy injected, no time limits
        key = reuse_key(spec, self._image_identity(spec.image))
        self.store.upsert_execution(
            spec.execution_id,
            run_id=self.run_id,
            node=node,
            step=spec.step,
            image=spec.image,
            command=spec.script,
            parameters=spec.parameters,
            env=spec.env,
            reuse_key=key,
            inputs={k: [f.__dict__ for f in v] for k, v in spec.inputs.items()},
            status=PENDING,
            host=socket.gethostname() if spec.host == "local" else spec.host,
            backend=self.backend.name,
            log_path=str(self._log_path(node)),
        )
        if self.options.reuse and not self.debug.wants(node) and self._reuse(spec, key):
            return
        where = "" if placement is None else f" on host {spec.host}"
        if spec.gpu_ids:
            where += f" with GPU(s) {','.join(spec.gpu_ids)}"
        self._runner_line(node, f"starting {container_name(self.run_id, node)} ({spec.image}){where}")
        if not self.backend.isolated:
            self._runner_line(node, "warning: local-process backend, the step is NOT isolated")
        # Launching (copying files, creating and starting a container) takes a few hundred ms:
        # done on a pool so a fan-out starts in parallel while this loop keeps streaming logs.
        future = self._pool.submit(self.backend.launch, spec, self._wakeup)
        future.add_done_callback(lambda _f: self._wakeup.set())
        self._launching[node] = (future, spec, key)

    def _collect_launches(self, cancelling: bool) -> None:
        for node, (future, spec, key) in list(self._launching.items()):
            if not future.done():
                continue
            del self._launching[node]
            try:
                handle = future.result()
            except Exception as exc:
                why = describe_engine_error(
                    exc, image=spec.image, network=getattr(self.backend, "network", None)
                )
                self._runner_line(node, f"error: could not start: {why}")
                if why != str(exc):  # the engine's own words, for a bug report
                    self._runner_line(node, f"engine said: {exc}")
                self._finish(node, FAILED, execution_id=spec.execution_id, message=f"could not start: {why}")
                continue
            log = open(self._log_path(node), "a", encoding="utf-8", buffering=1)  # noqa: SIM115 (closed in _complete)
            running = Running(handle, spec, key, log)
            self._running[node] = running
            self.store.upsert_execution(spec.execution_id, status=RUNNING, started=handle.started)
            self._node_event(node, RUNNING, time.time())
            self.debug.launched(node, handle)
            if cancelling:
                self._terminate(node, running, "cancelled")

    def _reuse(self, spec: ExecutionSpec, key: str) -> bool:
        found = adopt_reusable(self.store, self.artifacts, spec, key)
        if found is None:
            return False
        prior, result = found
        self._results[spec.node] = result
        self._runner_line(spec.node, f"reused execution {prior['id']} (run {prior['run_id']})")
        # Its metadata as if printed now, so live views (plots, a task's ranking) show it too.
        task_node, child = self._tasks.split(spec.node)
        now = time.time()
        for record in result.metadata:
            self._emit(MetadataRecord(self.run_id, task_node, record, now, child))
        self.actions.on_complete(  # node-complete actions, then _finish
            spec.node,
            REUSED,
            result.metadata,
            spec.parameters,
            execution_id=spec.execution_id,
            reused_from=prior["id"],
        )
        return True

    def _pump(self, node: str) -> None:
        running = self._running[node]
        poll = self.backend.poll(running.handle)
        task_node, child = self._tasks.split(node)
        for stream, text, when in poll.lines:
            running.log.write(f"{iso_time(when)} {stream} {text}\n")
            self.debug.line(node, stream, text)
            self._emit(LogLine(self.run_id, task_node, stream, text, when, child))
            record = parse_metadata_line(text) if stream == "stdout" else None
            if record is not None:
                record = with_time(record, when)
                self.store.add_metadata(running.spec.execution_id, running.seq, when, record)
                running.seq += 1
                self._emit(MetadataRecord(self.run_id, task_node, record, when, child))
                self._tasks.on_metadata(node, record)
        if poll.finished:
            self._complete(node, poll.exit_code, poll.error)
            return
        spec, handle = running.spec, running.handle
        if running.reason:
            return
        if spec.time_limit and time.time() - handle.started > spec.time_limit:
            self._terminate(node, running, f"time limit of {spec.time_limit:g} s exceeded")
        elif spec.no_output_timeout and time.monotonic() - handle.last_output > spec.no_output_timeout:
            self._terminate(node, running, f"no output for {spec.no_output_timeout:g} s")

    def _terminate(self, node: str, running: Running, reason: str) -> None:
        if running.reason:
            return
        running.reason = reason
        self._runner_line(node, f"stopping: {reason}")
        threading.Thread(
            target=self.backend.terminate, args=(running.handle, self.options.grace), daemon=True
        ).start()

    def _complete(self, node: str, exit_code: int | None, error: str | None) -> None:
        running = self._running.pop(node)
        spec = running.spec
        self.debug.finished(node)
        outputs: list[OutputFile] = []
        collect_error = ""
        try:
            t0 = time.perf_counter()
            outputs = self.backend.collect(running.handle, self.artifacts, lambda m: self._warn(node, m))
            if outputs:
                size = sum(o.size for o in outputs)
                took = time.perf_counter() - t0
                self._runner_line(node, f"collected {len(outputs)} output(s), {size} bytes in {took:.3f} s")
        except Exception as exc:
            collect_error = f"output collection failed: {exc}"
            self._warn(node, collect_error)
        finally:
            self.backend.cleanup(running.handle)
        self._drain_notes()  # transfer progress before the "finished" line
        self.store.add_outputs(spec.execution_id, [o.__dict__ for o in outputs])
        metadata = self.store.metadata(spec.execution_id)
        self._results[node] = NodeResult(outputs, metadata, spec.parameters, spec.inputs)
        if running.reason.startswith("cancelled"):  # also "cancelled: <why>" (a task stopping children)
            status, message = CANCELLED, running.reason
        elif running.reason:
            status, message = FAILED, running.reason
        elif error:
            status, message = FAILED, error
        elif collect_error and exit_code == 0:  # outputs lost (e.g. the host dropped): not a success
            status, message = FAILED, collect_error
        else:
            status = SUCCEEDED if exit_code == 0 else FAILED
            message = "" if exit_code == 0 else f"exit code {exit_code}"
        self._runner_line(node, f"finished: {status}" + (f" ({message})" if message else ""))
        running.log.close()
        self.actions.on_complete(  # node-complete/node-error actions, then _finish
            node,
            status,
            metadata,
            spec.parameters,
            execution_id=spec.execution_id,
            exit_code=exit_code,
            message=message,
        )

    def _image_identity(self, image: str) -> str:
        probe = getattr(self.backend, "image_identity", None)
        if probe is None:
            return ""
        if image not in self._image_ids:
            self._image_ids[image] = str(probe(image))
        return self._image_ids[image]
