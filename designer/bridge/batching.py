"""Group runner events into batches so the GUI gets a few signals a second, not one per line.

Pure Python (no Qt) so it is unit-tested on its own; the worker in ``run_controller`` feeds it.
"""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass, field

from runner.events import Event, LogLine, MetadataRecord, NodeStateChanged, RunFinished, RunStarted

BATCH_SECONDS = 0.1


@dataclass
class Batch:
    started: RunStarted | None = None
    states: list[NodeStateChanged] = field(default_factory=list)
    logs: list[LogLine] = field(default_factory=list)
    records: list[MetadataRecord] = field(default_factory=list)
    finished: RunFinished | None = None

    def add(self, event: Event) -> None:
        if isinstance(event, NodeStateChanged):
            self.states.append(event)
        elif isinstance(event, LogLine):
            self.logs.append(event)
        elif isinstance(event, MetadataRecord):
            self.records.append(event)
        elif isinstance(event, RunStarted):
            self.started = event
        elif isinstance(event, RunFinished):
            self.finished = event

    def __bool__(self) -> bool:
        return bool(self.started or self.states or self.logs or self.records or self.finished)


def next_batch(events: queue.Queue[Event], period: float = BATCH_SECONDS) -> Batch:
    """Block for the first event, then gather whatever arrives within ``period`` of it.

    Returns early when the run finishes, so the last batch is never held back. An empty batch
    comes back after ``period`` of silence (the caller checks for a stop request then).
    """
    batch = Batch()
    deadline = time.monotonic() + period
    while batch.finished is None:
        left = deadline - time.monotonic()
        if left <= 0:
            break
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
