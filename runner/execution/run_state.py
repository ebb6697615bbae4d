"""What one run's parts share: its options, its state and its logs.

The executor (runner.execution.executor) builds one ``RunState`` per run and hands it to each
collaborator together with a narrow hooks object of its own: the unit runner (units), task
nodes (task_node), node actions (actions), on-error (on_error) and deployments
(runner.deploy.deployments). None of them holds the executor. Everything here is used on the
executor's loop thread, except ``stop``, ``wakeup`` and ``emit``, which any thread may use.

Who writes what: ``running`` and ``launching`` only the unit runner; ``results`` the unit
runner, task nodes and on-error; ``placements`` through its own methods; the scheduler is asked
by all of them but only the executor takes ready nodes from it.
"""

from __future__ import annotations

import functools
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from runner.dag.scheduler import Scheduler
from runner.events import Event, LogLine
from runner.execution.backend import Handle
from runner.execution.ingest import UnitOutput
from runner.execution.naming import split_unit
from runner.execution.placement import RunPlacements
from runner.execution.plan import RunPlan
from runner.execution.prepare import NodeResult, RunContext
from runner.execution.spec import ExecutionSpec, container_name
from runner.metadata import iso_time
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore
from runner.store.space import is_full

Emit = Callable[[Event], None]
T = TypeVar("T")
DEFAULT_ENDPOINT_TIMEOUT = 60.0  # seconds a deployment's endpoint gets to answer HTTP


@dataclass
class RunOptions:
    concurrency: int = field(default_factory=lambda: os.cpu_count() or 1)
    reuse: bool = True  # --no-reuse turns it off; a pipeline's reuse-executions: true agrees
    strict: bool = False  # join commands with && instead of newlines
    image_map: dict[str, str] = field(default_factory=dict)
    grace: float = 2.0  # seconds between SIGTERM and SIGKILL when stopping a step
    keep_workdirs: bool = False
    labels: dict[str, str] = field(default_factory=dict)  # extra container labels (tests find theirs)
    endpoint_timeout: float = DEFAULT_ENDPOINT_TIMEOUT
    debug_nodes: tuple[str, ...] = ()  # run under debugpy, waiting for a debugger (runner.debug)
    capture_locals: bool = False  # record each frame's locals at an uncaught Python exception
    pause_before: tuple[str, ...] = ()  # run-time breakpoints: held before they start (runner.debug)
    # debug_nodes use PyCharm's debugger instead of debugpy: a runner.debug.pycharm.PyCharmTarget
    # (its pydevd-pycharm is fetched by start_run before the run starts).
    pycharm: Any = None
    keep_code: bool = True  # keep the code snapshot in the artifact store (off: hashed only)
    snapshot: str | None = None  # run this stored code snapshot instead of the folder (reproduce)
    system_metrics: bool = True  # sample each container's CPU, memory and GPUs once a second


@dataclass
class Running:
    """A launched unit the loop polls: the backend's handle, and the spec it runs."""

    handle: Handle
    spec: ExecutionSpec
    key: str  # its reuse key
    output: UnitOutput  # its log file and records (runner.execution.ingest)
    system_seq: int = 0  # system samples so far (runner.execution.system_recorder)
    gpu_note: str = ""  # why it has no GPU figures, as last stored
    reason: str = ""  # why we stopped it (time limit, no output, cancel)


@dataclass
class Launch:
    """A unit being launched on the unit runner's pool (files copied, container started)."""

    future: Future[Handle]
    spec: ExecutionSpec
    key: str


class RunLog:
    """The run's per-unit log files (``logs/<run>/<container>.log``): a runner line goes to the
    file and out as a LogLine event (a task's execution with ``child=k``)."""

    def __init__(self, run_id: str, log_dir: Path, emit: Emit, task_nodes: frozenset[str]) -> None:
        self.run_id = run_id
        self.dir = log_dir
        self._emit = emit
        self._task_nodes = task_nodes

    def path(self, unit: str) -> Path:
        return self.dir / f"{container_name(self.run_id, unit)}.log"

    def line(self, unit: str, text: str) -> None:
        now = time.time()
        try:
            with open(self.path(unit), "a", encoding="utf-8") as fh:
                fh.write(f"{iso_time(now)} runner {text}\n")
        except OSError as exc:  # a full disk: the line still goes out; the run says why it stops
            if not is_full(exc):
                raise
        node, child = split_unit(unit, self._task_nodes)
        self._emit(LogLine(self.run_id, node, "runner", text, now, child))

    def warn(self, unit: str, text: str) -> None:
        self.line(unit, f"warning: {text}")

    def logger(self, unit: str) -> Callable[[str], None]:
        return functools.partial(self.line, unit)


@dataclass
class RunState:
    """One run's shared state (see the module docstring for who writes what)."""

    run_id: str
    plan: RunPlan
    options: RunOptions
    store: RunStore
    artifacts: ArtifactStore
    scheduler: Scheduler
    placements: RunPlacements
    emit: Emit  # never raises: a broken subscriber is reported, the run goes on
    log: RunLog
    stop: threading.Event = field(default_factory=threading.Event)  # cancel: stop launching
    wakeup: threading.Event = field(default_factory=threading.Event)  # the loop looks again
    results: dict[str, NodeResult] = field(default_factory=dict)  # what finished units hand on
    running: dict[str, Running] = field(default_factory=dict)
    launching: dict[str, Launch] = field(default_factory=dict)
    ctx: RunContext | None = None  # set when the run starts; a retry relaunches with it
    emit_all: Callable[[list[Event]], None] | None = None  # many in order (a batch of output)
    task_nodes: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.task_nodes = task_nodes(self.plan)

    def publish(self, events: list[Event]) -> None:
        """``emit`` each of ``events``, in order (at once where the subscriber takes batches)."""
        if self.emit_all is not None:
            self.emit_all(events)
        else:
            for event in events:
                self.emit(event)

    def split(self, unit: str) -> tuple[str, int | None]:
        """``"train#3"`` -> ``("train", 3)`` for a task node's execution, else ``(unit, None)``."""
        return split_unit(unit, self.task_nodes)


def task_nodes(plan: RunPlan) -> frozenset[str]:
    return frozenset(n for n, tpl in plan.nodes.items() if tpl.kind == "task")


def drained(items: queue.Queue[T]) -> Iterator[T]:
    """What another thread put on ``items`` so far, without waiting for more."""
    while True:
        try:
            yield items.get_nowait()
        except queue.Empty:
            return
