"""The queue a run's events wait on for their reader (``RunHandle.events``).

A ``queue.Queue`` that also takes a batch under one lock: a step printing thousands of lines a
second makes thousands of events, and a lock and a notify for each would cost the loop thread
as much as storing them (runner.execution.ingest hands them over a batch at a time).
"""

from __future__ import annotations

import queue
from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


class EventQueue(queue.Queue[T]):
    def put_many(self, items: Iterable[T]) -> None:
        """Append ``items`` in order, waking one waiting reader (never blocks: unbounded)."""
        with self.not_empty:
            before = len(self.queue)
            self.queue.extend(items)
            added = len(self.queue) - before
            if added:
                self.unfinished_tasks += added
                self.not_empty.notify()

    def get_all(self, timeout: float | None = None) -> list[T]:
        """Wait up to ``timeout`` seconds (None: for ever) for an item, then take every queued
        one at once, in order ([] when none came)."""
        with self.not_empty:
            if not self.queue:
                self.not_empty.wait_for(lambda: bool(self.queue), timeout)
            items = list(self.queue)
            self.queue.clear()
            if items:
                self.not_full.notify_all()
            return items

    def put_back(self, items: list[T]) -> None:
        """Return ``items`` (taken by ``get_all``, not handled) to the front, in order."""
        with self.not_empty:
            self.queue.extendleft(reversed(items))
            if items:
                self.not_empty.notify()
