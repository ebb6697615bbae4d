"""Events gathered into batches for the GUI thread: bursts in one batch, a bounded wait, no line
dropped, a task's executions kept apart from its node."""

from __future__ import annotations

import queue
import threading
import time

from designer.bridge.batching import Batch, next_batch
from runner.events import (
    ApprovalRequested,
    ApprovalResolved,
    EndpointReady,
    EndpointStopped,
    LogLine,
    MetadataRecord,
    NodeStateChanged,
    RunFinished,
    RunStarted,
    TaskExpanded,
    TaskProgress,
)

R = "run-000001"


def _line(i: int) -> LogLine:
    return LogLine("r", "n", "stdout", f"line {i}", 0.0)


def test_batch_gathers_a_burst_into_one_batch() -> None:
    q: queue.Queue = queue.Queue()
    q.put(RunStarted("r", None, ("n",), 0.0))
    for i in range(1000):
        q.put(_line(i))
    q.put(NodeStateChanged("r", "n", "running", 0.0))
    q.put(MetadataRecord("r", "n", {"loss": 1.0}, 0.0))
    batch = next_batch(q, 0.1)
    assert batch.started is not None and len(batch.logs) == 1000
    assert [s.status for s in batch.states] == ["running"] and len(batch.records) == 1
    assert batch.finished is None


def test_batch_waits_at_most_the_period_and_returns_at_finish() -> None:
    q: queue.Queue = queue.Queue()
    t0 = time.monotonic()
    assert not next_batch(q, 0.05)  # silence: an empty batch after the period
    assert 0.04 < time.monotonic() - t0 < 0.5

    def produce() -> None:
        for i in range(5):
            q.put(_line(i))
            time.sleep(0.01)
        q.put(RunFinished("r", "succeeded", {}, 0.0))
        q.put(_line(99))  # after the end: left for nobody

    threading.Thread(target=produce).start()
    batch = next_batch(q, 10.0)  # a long period, yet it returns as soon as the run finishes
    assert batch.finished is not None and [x.text for x in batch.logs] == [f"line {i}" for i in range(5)]


def test_batches_keep_every_line_of_a_fast_producer() -> None:
    q: queue.Queue = queue.Queue()
    n = 20_000

    def produce() -> None:
        for i in range(n):
            q.put(_line(i))
        q.put(RunFinished("r", "succeeded", {}, 0.0))

    threading.Thread(target=produce).start()
    got, batches = [], 0
    while True:
        batch = next_batch(q, 0.1)
        batches += bool(batch)
        got.extend(x.text for x in batch.logs)
        if batch.finished:
            break
    assert got == [f"line {i}" for i in range(n)]  # throttled signals, never dropped data
    assert batches < 200


def test_batch_keeps_a_tasks_executions_apart_from_the_node() -> None:
    batch = Batch()
    events = [
        TaskExpanded(R, "train", ({"lr": 0.1},)),
        NodeStateChanged(R, "train", "running", 1.0),
        NodeStateChanged(R, "train", "failed", 2.0, child=1),
        TaskProgress(R, "train", 1, 0, 0, 1),
        ApprovalRequested(R, "deploy", "node-starting", "check"),
        ApprovalResolved(R, "deploy", True),
        EndpointReady(R, "serve", "predict", "http://127.0.0.1:5000/", "c1"),
        EndpointStopped(R, "serve", "predict"),
        LogLine(R, "train", "stdout", "hi", 1.0, child=1),
        MetadataRecord(R, "train", {"a": 1}, 1.0, child=1),
    ]
    for e in events:
        batch.add(e)
    assert [e.status for e in batch.states] == ["running"]  # the child's "failed" is not the node's
    assert [e.child for e in batch.child_states] == [1]
    assert [type(e).__name__ for e in batch.tasks] == ["TaskExpanded", "TaskProgress"]
    assert [type(e).__name__ for e in batch.approvals] == ["ApprovalRequested", "ApprovalResolved"]
    assert [type(e).__name__ for e in batch.endpoints] == ["EndpointReady", "EndpointStopped"]
    assert len(batch.logs) == len(batch.records) == 1 and batch
    assert not Batch()
