"""Pure scheduling state machine: events go in, ready nodes come out. No I/O, no threads.

The executor loop asks ``take_ready()`` for nodes to launch, reports each outcome with
``finish(node, status)``, and stops when ``done``. A failed (or cancelled) node marks all its
descendants ``skipped``; independent branches go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from runner.events import (
    AWAITING_APPROVAL,
    CANCELLED,
    FAILED,
    OK_STATUSES,
    PENDING,
    RUNNING,
    SKIPPED,
    STOPPED,
    TERMINAL_STATUSES,
)


class SchedulerError(RuntimeError):
    pass


class Scheduler:
    def __init__(
        self, predecessors: Mapping[str, Iterable[str]], concurrency: int, order: Iterable[str] = ()
    ) -> None:
        if concurrency < 1:
            raise SchedulerError(f"concurrency must be at least 1, got {concurrency}")
        self._preds = {node: frozenset(preds) for node, preds in predecessors.items()}
        for node, preds in self._preds.items():
            missing = preds - self._preds.keys()
            if missing:
                raise SchedulerError(f"node {node!r} depends on unknown node(s) {sorted(missing)}")
        self._succs: dict[str, set[str]] = {node: set() for node in self._preds}
        for node, preds in self._preds.items():
            for pred in preds:
                self._succs[pred].add(node)
        # Launch order among ready nodes: the given (topological) order, then name.
        given = [n for n in order if n in self._preds]
        self._rank = {n: i for i, n in enumerate(given + sorted(set(self._preds) - set(given)))}
        self.concurrency = concurrency
        self.status: dict[str, str] = dict.fromkeys(self._preds, PENDING)
        self._cancelled = False
        self._stopped: str | None = None  # STOPPED or FAILED once a stop/error-pipeline action fired
        # Slots held beyond one per running node: a task node running 3 executions holds 2 more.
        self.extra_slots = 0

    @property
    def running(self) -> list[str]:
        return [n for n, s in self.status.items() if s == RUNNING]

    @property
    def free(self) -> int:
        """Slots left under the concurrency limit."""
        return self.concurrency - len(self.running) - self.extra_slots

    @property
    def done(self) -> bool:
        return all(s in TERMINAL_STATUSES for s in self.status.values())

    def descendants(self, node: str) -> set[str]:
        seen: set[str] = set()
        stack = [node]
        while stack:
            for succ in self._succs[stack.pop()]:
                if succ not in seen:
                    seen.add(succ)
                    stack.append(succ)
        return seen

    def take_ready(self, admit: Callable[[str], bool] | None = None) -> list[str]:
        """Nodes whose predecessors all succeeded, up to the free concurrency; marked running.

        ``admit`` (multi-host runs) may refuse a node for now (its hosts are busy): it stays
        pending and is offered again on the next call.
        """
        if self._cancelled:
            return []
        free = self.free
        candidates = sorted(
            (
                n
                for n, s in self.status.items()
                if s == PENDING and all(self.status[p] in OK_STATUSES for p in self._preds[n])
            ),
            key=self._rank.__getitem__,
        )
        ready: list[str] = []
        for node in candidates:
            if len(ready) >= free:
                break
            if admit is None or admit(node):
                self.status[node] = RUNNING
                ready.append(node)
        return ready

    def finish(self, node: str, status: str) -> list[str]:
        """Record a running (or held) node's terminal status; returns the nodes newly skipped."""
        if self.status.get(node) not in (RUNNING, AWAITING_APPROVAL):
            raise SchedulerError(f"node {node!r} is {self.status.get(node)!r}, not running")
        if status not in TERMINAL_STATUSES:
            raise SchedulerError(f"{status!r} is not a terminal status")
        self.status[node] = status
        if status in OK_STATUSES:
            return []
        skipped = []
        for desc in sorted(self.descendants(node), key=self._rank.__getitem__):
            if self.status[desc] == PENDING:
                self.status[desc] = SKIPPED
                skipped.append(desc)
        return skipped

    def hold(self, node: str) -> None:
        """A running node awaits approval: it frees its slot, its descendants keep waiting."""
        self._expect(node, RUNNING)
        self.status[node] = AWAITING_APPROVAL

    def resume(self, node: str) -> None:
        """A node approved before it started: pending again, offered by ``take_ready``."""
        self._expect(node, AWAITING_APPROVAL)
        self.status[node] = PENDING

    def _expect(self, node: str, status: str) -> None:
        if self.status.get(node) != status:
            raise SchedulerError(f"node {node!r} is {self.status.get(node)!r}, not {status}")

    def cancel(self) -> list[str]:
        """Stop launching; pending (and held) nodes become cancelled (running ones are the
        executor's job)."""
        self._cancelled = True
        cancelled = [n for n, s in self.status.items() if s in (PENDING, AWAITING_APPROVAL)]
        for node in cancelled:
            self.status[node] = CANCELLED
        return cancelled

    def stop(self, error: bool = False) -> list[str]:
        """A stop-pipeline (``error``: error-pipeline) action: stop launching, skip every pending
        or held node and return them (in launch order); the run ends stopped (or failed)."""
        self._cancelled = True
        if self._stopped != FAILED:
            self._stopped = FAILED if error else STOPPED
        skipped = sorted(
            (n for n, s in self.status.items() if s in (PENDING, AWAITING_APPROVAL)),
            key=self._rank.__getitem__,
        )
        for node in skipped:
            self.status[node] = SKIPPED
        return skipped

    def overall(self) -> str:
        """Run status once done: failed if any node failed (or an error-pipeline action fired),
        stopped after a stop-pipeline action, cancelled if any node was cancelled.

        A node is only ever skipped because an upstream node failed or was cancelled, or
        because the runner does not run its kind (deployments): alone that is no failure.
        """
        values = set(self.status.values())
        if FAILED in values or self._stopped == FAILED:
            return FAILED
        if self._stopped == STOPPED:
            return STOPPED
        if CANCELLED in values:
            return CANCELLED
        return "succeeded"
