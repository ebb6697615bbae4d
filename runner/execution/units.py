"""The unit runner: one unit's life between the executor and its backend.

A unit is what the backend runs once: a plain node, or execution ``k`` of a task node
(``train#3``, runner.execution.naming). ``launch`` prepares it (edges resolved, inputs
staged), reuses an earlier identical execution or hands it to the backend on a small pool;
``collect_launches`` and ``pump`` then stream its output and metadata while it runs, stop it on
its time limits, and complete it (outputs collected, status decided). ``terminate`` stops one.

It owns the run's ``running`` and ``launching`` maps (kept in RunState, which others read), the
launch pool, the engine image ids of the reuse keys and the backend's progress notes. The rest
of the run it reaches only through ``UnitHooks``. Loop thread only, except the launches (on the
pool) and terminations (short threads, so several containers stop in parallel).
"""

from __future__ import annotations

import contextlib
import functools
import queue
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from runner.events import (
    CANCELLED,
    FAILED,
    PENDING,
    REUSED,
    RUNNING,
    SUCCEEDED,
    MetadataRecord,
    ReuseDecided,
)
from runner.execution.backend import Backend, Handle
from runner.execution.engine_errors import describe_engine_error
from runner.execution.exit_codes import describe_exit
from runner.execution.ingest import UnitOutput
from runner.execution.plan import NodeTemplate
from runner.execution.prepare import (
    NodeResult,
    PrepareError,
    RunContext,
    adopt,
    prepare_spec,
    reuse_key,
)
from runner.execution.recording import CodeRecorder, Decision
from runner.execution.run_state import Launch, Running, RunState, drained
from runner.execution.spec import ExecutionSpec, OutputFile, container_name
from runner.execution.system_recorder import record_system
from runner.store.space import NO_SPACE, as_disk_full


@dataclass(frozen=True)
class UnitHooks:
    """What the unit runner needs from the rest of the run (called on the loop thread)."""

    attempt: Callable[[str], int]  # 1, or 2 when on-error: retry runs the unit again
    # Before the first attempt launches (spec prepared, inputs staged): False when it is held
    # (awaiting approval) or the pipeline stops; whoever said no has recorded why.
    starting: Callable[[str, ExecutionSpec], bool]
    # complete(unit, status, metadata, parameters, execution_id=, **info): node-complete and
    # node-error actions, which then finish it (or hold it for approval).
    complete: Callable[..., None]
    finish: Callable[..., None]  # finish(unit, status, execution_id=None, **info): its outcome
    status: Callable[[str, str], None]  # status(unit, RUNNING): it started (row written)
    metadata: Callable[[str, list[dict[str, Any]]], None]  # a running unit printed these records


class UnitWatcher(Protocol):
    """Follows every unit through its life and may change how it runs: what a debug session
    implements (runner.debug.debugger.DebugSessions). Called on the loop thread."""

    def prepare(self, spec: ExecutionSpec) -> None:
        """Before the reuse key and launch: change the spec (injection, published ports, limits)."""

    def wants(self, unit: str) -> bool:
        """True: the unit must really run (never reused)."""
        ...

    def launched(self, unit: str, handle: Handle) -> None:
        """It runs now (its handle, for ``exec`` or port forwards)."""

    def line(self, unit: str, stream: str, text: str) -> None:
        """Each line it prints, before it is published."""

    def finished(self, unit: str, handle: Handle) -> None:
        """It ended (before its outputs are collected and its container removed: the backend's
        ``reports(handle)`` still has what the injected features wrote)."""


class UnitRunner:
    def __init__(
        self, state: RunState, backend: Backend, hooks: UnitHooks, watcher: UnitWatcher, code: CodeRecorder
    ) -> None:
        self.state = state
        self.backend = backend
        self._hooks = hooks
        self._watcher = watcher
        self._code = code  # the run's code set, reuse decisions and reads (runner.execution.recording)
        self._pool = ThreadPoolExecutor(max_workers=state.options.concurrency, thread_name_prefix="launch")
        self._image_ids: dict[str, str] = {}  # image -> engine image id, looked up once per run
        self._notes: queue.Queue[tuple[str, str]] = queue.Queue()  # backend progress, any thread
        if hasattr(backend, "set_reporter"):
            backend.set_reporter(self._note)

    # the executor and its other parts call these -----------------------------------------------
    def launch(
        self, ctx: RunContext, tpl: NodeTemplate, unit: str, varied: dict[str, Any] | None = None
    ) -> None:
        """Prepare, reuse or launch ``unit`` (a task's execution: with its ``varied`` parameters)."""
        st = self.state
        ctx.log = st.log.logger(unit)
        unplaceable = st.placements.unplaceable(unit)
        if unplaceable is not None:
            self._fail(unit, f"cannot be placed: {unplaceable}")
            return
        try:
            attempt = self._hooks.attempt(unit)
            spec = prepare_spec(ctx, tpl, st.results, unit, varied, attempt)
        except PrepareError as exc:
            self._fail(unit, str(exc), CANCELLED if st.stop.is_set() else FAILED)  # cancelled mid-download
            return
        if attempt == 1 and not self._hooks.starting(unit, spec):
            return  # a node-starting action held it for approval or stopped the pipeline
        placement = st.placements.of(unit)
        if placement is not None:
            spec.host, spec.gpu_ids = placement.host, placement.gpu_ids
        spec.system_metrics = st.options.system_metrics
        self._watcher.prepare(spec)  # --debug: debugpy injected, no time limits
        self._code.prepare(spec)  # runs from the run's code snapshot, its reads recorded
        identity = self._image_identity(spec.image)
        key, base = reuse_key(spec, identity), reuse_key(spec, identity, code=False)
        st.store.upsert_execution(
            spec.execution_id,
            run_id=st.run_id,
            node=unit,
            step=spec.step,
            image=spec.image,
            command=spec.script,
            parameters=spec.parameters,
            reuse_key=key,
            inputs={k: [f.__dict__ for f in v] for k, v in spec.inputs.items()},
            status=PENDING,
            host=socket.gethostname() if spec.host == "local" else spec.host,
            backend=self.backend.name,
            log_path=str(st.log.path(unit)),
            **self._code.fields(spec, base, identity),
        )
        if self._decide(unit, spec, base):
            return
        where = "" if placement is None else f" on host {spec.host}"
        if spec.gpu_ids:
            where += f" with GPU(s) {','.join(spec.gpu_ids)}"
        st.log.line(unit, f"starting {container_name(st.run_id, unit)} ({spec.image}){where}")
        if not self.backend.isolated:
            st.log.line(unit, "warning: local-process backend, the step is NOT isolated")
        # Launching (copying files, creating and starting a container) takes a few hundred ms:
        # done on a pool so a fan-out starts in parallel while the loop keeps streaming logs.
        future = self._pool.submit(self.backend.launch, spec, st.wakeup)
        future.add_done_callback(lambda _f: st.wakeup.set())
        st.launching[unit] = Launch(future, spec, key)

    def collect_launches(self, cancelling: bool) -> None:
        """Units whose launch ended are running now (or failed to start)."""
        st = self.state
        for unit, launch in list(st.launching.items()):
            if not launch.future.done():
                continue
            del st.launching[unit]
            spec = launch.spec
            try:
                handle = launch.future.result()
            except Exception as exc:  # said in words the user can act on (the engine's own as detail)
                why = describe_engine_error(
                    exc, image=spec.image, network=getattr(self.backend, "network", None)
                )
                st.log.line(unit, f"error: could not start: {why}")
                if why != str(exc):
                    st.log.line(unit, f"engine said: {exc}")
                self._hooks.finish(
                    unit, FAILED, execution_id=spec.execution_id, message=f"could not start: {why}"
                )
                continue
            node, child = st.split(unit)
            output = UnitOutput(
                st.log.path(unit), spec.execution_id, (st.run_id, node, child), st.store, st.publish
            )
            running = Running(handle, spec, launch.key, output)  # its output closed in _complete
            st.running[unit] = running
            st.store.upsert_execution(spec.execution_id, status=RUNNING, started=handle.started)
            self._hooks.status(unit, RUNNING)
            self._watcher.launched(unit, handle)
            if cancelling:
                self.terminate(unit, "cancelled")

    def pump(self) -> None:
        """Stream every running unit's new output; complete those that ended; then the notes."""
        for unit in list(self.state.running):
            self._pump(unit)
        self.drain_notes()

    def terminate(self, unit: str, reason: str) -> None:
        """Stop a running unit (once; it completes as cancelled when ``reason`` starts so)."""
        running = self.state.running[unit]
        if running.reason:
            return
        running.reason = reason
        self.state.log.line(unit, f"stopping: {reason}")
        threading.Thread(
            target=self.backend.terminate, args=(running.handle, self.state.options.grace), daemon=True
        ).start()

    def drain_notes(self) -> None:
        """The backend's progress lines (transfers, pulls) into the units' logs."""
        for unit, text in drained(self._notes):
            self.state.log.line(unit, text)

    def abort(self, status: str = CANCELLED, message: str = "aborted") -> None:
        """Teardown after an exception in the loop (or KeyboardInterrupt): nothing keeps running."""
        st = self.state
        for launch in st.launching.values():
            with contextlib.suppress(Exception):
                launch.future.result(timeout=30)
        self.collect_launches(cancelling=False)
        self._pool.shutdown(wait=False)
        for unit, running in list(st.running.items()):
            self.backend.terminate(running.handle, 0)
            running.handle.wait(5)
            self.backend.cleanup(running.handle)
            with contextlib.suppress(OSError):  # a full disk: the last line may not fit
                running.output.close()
            st.running.pop(unit)
            self._hooks.finish(unit, status, execution_id=running.spec.execution_id, message=message)

    # internals ------------------------------------------------------------------------------
    def _note(self, unit: str, text: str) -> None:
        """Thread-safe (the backend's reporter): a progress line, written by the loop thread."""
        self._notes.put((unit, text))
        self.state.wakeup.set()

    def _fail(self, unit: str, message: str, status: str = FAILED) -> None:
        self.state.log.line(unit, f"error: {message}")
        self._hooks.finish(unit, status, message=message)

    def _decide(self, unit: str, spec: ExecutionSpec, base: str) -> bool:
        """Reuse an earlier execution (True) or run it; either way the reason is recorded."""
        st = self.state
        node, child = st.split(unit)
        if not st.options.reuse:
            decision = Decision(None, "re-ran: reuse is off")
        elif self._watcher.wants(unit):
            decision = Decision(None, "re-ran: it runs under the debugger")
        else:
            decision = self._code.decide(spec, base, node)
        reused = decision.prior is not None and self._reuse(spec, decision)
        reason = (
            decision.reason
            if reused or decision.prior is None
            else "re-ran: an output of the earlier one is gone"
        )
        st.store.upsert_execution(spec.execution_id, decision=reason)
        st.log.line(unit, reason)
        st.emit(ReuseDecided(st.run_id, node, reused, reason, time.time(), child))
        return reused

    def _reuse(self, spec: ExecutionSpec, decision: Decision) -> bool:
        st = self.state
        prior = decision.prior
        assert prior is not None
        result = adopt(st.store, st.artifacts, spec, prior)
        if result is None:
            return False
        st.results[spec.node] = result
        st.log.line(spec.node, f"reused execution {prior['id']} (run {prior['run_id']})")
        # Its metadata as if printed now, so live views (plots, a task's ranking) show it too.
        node, child = st.split(spec.node)
        now = time.time()
        for record in result.metadata:
            st.emit(MetadataRecord(st.run_id, node, record, now, child))
        self._hooks.complete(
            spec.node,
            REUSED,
            result.metadata,
            spec.parameters,
            execution_id=spec.execution_id,
            reused_from=prior["id"],
        )
        return True

    def _pump(self, unit: str) -> None:
        st = self.state
        running = st.running[unit]
        poll = self.backend.poll(running.handle)
        records = running.output.take(poll.lines, functools.partial(self._watcher.line, unit))
        if records:
            self._hooks.metadata(unit, records)
        record_system(st, unit, running)
        if poll.finished:
            self._complete(unit, poll.exit_code, poll.error)
            return
        spec, handle = running.spec, running.handle
        if running.reason:
            return
        if spec.time_limit and time.time() - handle.started > spec.time_limit:
            self.terminate(unit, f"time limit of {spec.time_limit:g} s exceeded")
        elif spec.no_output_timeout and time.monotonic() - handle.last_output > spec.no_output_timeout:
            self.terminate(unit, f"no output for {spec.no_output_timeout:g} s")

    def _complete(self, unit: str, exit_code: int | None, error: str | None) -> None:
        st = self.state
        running = st.running.pop(unit)
        spec = running.spec
        self._watcher.finished(unit, running.handle)
        outputs: list[OutputFile] = []
        collect_error = ""
        reports: dict[str, bytes] | None = None
        try:
            t0 = time.perf_counter()
            outputs = self.backend.collect(running.handle, st.artifacts, lambda m: st.log.warn(unit, m))
            if outputs:
                size = sum(o.size for o in outputs)
                took = time.perf_counter() - t0
                st.log.line(unit, f"collected {len(outputs)} output(s), {size} bytes in {took:.3f} s")
            reports = self._reports(unit, running.handle)
        except Exception as exc:
            full = as_disk_full(exc, st.artifacts.root)
            collect_error = str(full) if full else f"output collection failed: {exc}"
            st.log.warn(unit, collect_error)
        finally:
            self.backend.cleanup(running.handle)  # a full disk's partial outputs go with the work dir
        self._code.completed(spec, reports)
        self.drain_notes()  # transfer progress before the "finished" line
        st.store.add_outputs(spec.execution_id, [o.__dict__ for o in outputs])
        metadata = running.output.records  # as stored
        st.results[unit] = NodeResult(outputs, metadata, spec.parameters, spec.inputs)
        status, message = _outcome(running.reason, exit_code, error, collect_error)
        st.log.line(unit, f"finished: {status}" + (f" ({message})" if message else ""))
        running.output.close()
        self._hooks.complete(
            unit,
            status,
            metadata,
            spec.parameters,
            execution_id=spec.execution_id,
            exit_code=exit_code,
            message=message,
        )

    def _reports(self, unit: str, handle: Handle) -> dict[str, bytes] | None:
        """What the injected features wrote (None: not known, so nothing is assumed)."""
        fetch = getattr(self.backend, "reports", None)
        if fetch is None or not handle.spec.inject:
            return None
        try:
            return dict(fetch(handle))
        except Exception as exc:  # the step's result stands; only its reads are unknown
            self.state.log.warn(unit, f"could not read what the step read: {exc}")
            return None

    def _image_identity(self, image: str) -> str:
        probe = getattr(self.backend, "image_identity", None)
        if probe is None:
            return ""
        if image not in self._image_ids:
            self._image_ids[image] = str(probe(image))
        return self._image_ids[image]


def _outcome(reason: str, exit_code: int | None, error: str | None, collect_error: str) -> tuple[str, str]:
    """A finished unit's status and message."""
    if reason.startswith("cancelled"):  # also "cancelled: <why>" (a task stopping executions)
        return CANCELLED, reason
    if reason:
        return FAILED, reason
    if error:
        return FAILED, error
    if collect_error.startswith(NO_SPACE):  # a full disk: likely why the step failed, and the fix
        return FAILED, collect_error
    if collect_error and exit_code == 0:  # outputs lost (e.g. the host dropped): not a success
        return FAILED, collect_error
    if exit_code == 0:
        return SUCCEEDED, ""
    return FAILED, describe_exit(exit_code) if exit_code is not None else "no exit code"
