"""The watch loop: wait for a trigger to fire, run the pipeline, repeat.

Runs are never overlapped or queued: the loop is blocked while a run goes on, so any number of
file changes (or missed schedule fires) during a run lead to exactly one run after it. Sources
are small state machines fed the current time, which keeps them testable without sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from runner.triggers.schedule import Schedule, format_time
from runner.triggers.watcher import ChangeDetector

# A schedule that is hours away is re-checked at least this often (a suspended laptop wakes up,
# the clock is set): the loop never sleeps through a fire by more than this.
MAX_SLEEP_S = 30.0


class Source(Protocol):
    def due(self, now: float) -> str | None:
        """Why a run should start now ("change: data/a.csv"), or None."""

    def wait_s(self, now: float) -> float:
        """How long until ``due`` is worth asking again."""

    def ran(self, now: float) -> None:
        """A run (started by this source or at start-up) just ended at ``now``."""

    def describe(self) -> str: ...


class ChangeSource:
    def __init__(self, detector: ChangeDetector, poll_s: float = 2.0) -> None:
        self.detector, self.poll_s = detector, poll_s

    def due(self, now: float) -> str | None:
        changed = self.detector.poll(now)
        if not changed:
            return None
        more = f" (+{len(changed) - 1} more)" if len(changed) > 1 else ""
        return f"change: {changed[0]}{more}"

    def wait_s(self, now: float) -> float:
        # While files settle, look again as soon as they may have stood still long enough.
        return min(self.poll_s, self.detector.settle) if self.detector.settling else self.poll_s

    def ran(self, now: float) -> None:
        pass

    def describe(self) -> str:
        names = ", ".join(
            self.detector.display(str(p)) + ("/" if p.is_dir() else "") for p in self.detector.paths
        )
        return f"watching {names} for changes (poll {self.poll_s:g}s)"


class ScheduleSource:
    def __init__(self, schedule: Schedule, now: float) -> None:
        self.schedule = schedule
        self.next_fire = schedule.next_after(now)

    def due(self, now: float) -> str | None:
        if now < self.next_fire:
            return None
        fired, self.next_fire = self.next_fire, self.schedule.next_after(self.next_fire)
        return f"schedule: {format_time(fired)}"

    def wait_s(self, now: float) -> float:
        return max(0.0, min(self.next_fire - now, MAX_SLEEP_S))

    def ran(self, now: float) -> None:
        # Fires missed during the run collapse into one run now; then back on the schedule.
        if self.next_fire < now:
            self.next_fire = now

    def describe(self) -> str:
        return f"{self.schedule.describe()}; next run {format_time(self.next_fire)}"


class WatchLoop:
    """Calls ``run(reason)`` once per fire until ``stop`` is set or ``max_runs`` fires happened."""

    def __init__(
        self,
        source: Source,
        run: Callable[[str], Any],
        *,
        max_runs: int | None = None,
        once_at_start: bool = False,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source, self.run = source, run
        self.max_runs, self.once_at_start = max_runs, once_at_start
        self.stop = stop or threading.Event()
        self.clock = clock
        self.fired = 0  # a count, not a list: a watch may run for months

    def _fire(self, reason: str) -> None:
        self.fired += 1
        self.run(reason)
        self.source.ran(self.clock())

    def _more(self) -> bool:
        return not self.stop.is_set() and (self.max_runs is None or self.fired < self.max_runs)

    def run_forever(self) -> int:
        """Returns how many times it fired."""
        if self.once_at_start and self._more():
            self._fire("start")
        while self._more():
            now = self.clock()
            reason = self.source.due(now)
            if reason is not None:
                self._fire(reason)
            else:
                self.stop.wait(self.source.wait_s(now))
        return self.fired
