"""Group runner events into batches so the GUI gets a few signals a second, not one per line.

Pure Python (no Qt) so it is unit-tested on its own; the worker in ``run_controller`` feeds it.
"""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass, field

from runner.events import (
    ApprovalRequested,
    ApprovalResolved,
    DebuggerListening,
    EndpointReady,
    EndpointStopped,
    Event,
    LogLine,
    MetadataRecord,
    NodeStateChanged,
    RunFinished,
    RunStarted,
    SystemSampled,
    TaskExpanded,
    TaskProgress,
)

BATCH_SECONDS = 0.1

TaskEvent = TaskExpanded | TaskProgress
ApprovalEvent = ApprovalRequested | ApprovalResolved
EndpointEvent = EndpointReady | EndpointStopped


@dataclass
class Batch:
    started: RunStarted | None = None
    states: list[NodeStateChanged] = field(default_factory=list)  # the nodes' own (child is None)
    child_states: list[NodeStateChanged] = field(default_factory=list)  # a task's executions
    tasks: list[TaskEvent] = field(default_factory=list)
    approvals: list[ApprovalEvent] = field(default_factory=list)
    endpoints: list[EndpointEvent] = field(default_factory=list)
    logs: list[LogLine] = field(default_factory=list)
    records: list[MetadataRecord] = field(default_factory=list)
    debuggers: list[DebuggerListening] = field(default_factory=list)
    system: list[SystemSampled] = field(default_factory=list)
    finished: RunFinished | None = None

    def add(self, event: Event) -> None:
        if isinstance(event, NodeStateChanged):
            # A child's "failed" is not the task node's: keep them apart from the start.
            (self.states if event.child is None else self.child_states).append(event)
        elif isinstance(event, LogLine):
            self.logs.append(event)
        elif isinstance(event, MetadataRecord):
            self.records.append(event)
        elif isinstance(event, TaskExpanded | TaskProgress):
            self.tasks.append(event)
        elif isinstance(event, ApprovalRequested | ApprovalResolved):
            self.approvals.append(event)
        elif isinstance(event, EndpointReady | EndpointStopped):
            self.endpoints.append(event)
        elif isinstance(event, DebuggerListening):
            self.debuggers.append(event)
        elif isinstance(event, SystemSampled):
            self.system.append(event)
        elif isinstance(event, RunStarted):
            self.started = event
        elif isinstance(event, RunFinished):
            self.finished = event

    def __bool__(self) -> bool:
        return bool(
            self.started
            or self.states
            or self.child_states
            or self.tasks
            or self.approvals
            or self.endpoints
            or self.logs
            or self.records
            or self.debuggers
            or self.system
            or self.finished
        )


def drain(events: queue.Queue[Event]) -> Batch:
    """Whatever is queued now, without waiting (events left after the run's last batch)."""
    batch = Batch()
    while True:
        try:
            batch.add(events.get_nowait())
        except queue.Empty:
            return batch


def next_batch(events: queue.Queue[Event], period: float = BATCH_SECONDS) -> Batch:
    """Block for the first event, then gather whatever arrives within ``period`` of it.

    Returns early when the run finishes, so the last batch is never held back. An empty batch
    comes back after ``period`` of silence (the caller checks for a stop request then).
    """
    batch = Batch()
    deadline = time.monotonic() + period
    take_all = getattr(events, "get_all", None)  # the runner's EventQueue: a burst at once
    while batch.finished is None:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if take_all is not None:
            taken = take_all(timeout=left)
            if not taken:
                break
            for i, event in enumerate(taken):
                batch.add(event)
                if batch.finished is not None:  # what came after the run's end stays queued
                    events.put_back(taken[i + 1 :])  # type: ignore[attr-defined]
                    break
            continue
        try:
            event = events.get(timeout=left)
        except queue.Empty:
            break
        batch.add(event)
        # Drain what is already queued without waiting (a burst of lines costs one wakeup).
        while batch.finished is None:
            try:
                batch.add(events.get_nowait())
            except queue.Empty:
                break
    return batch
