"""Pure scheduling state machine: events go in, ready nodes come out. No I/O, no threads.

The executor loop asks ``take_ready()`` for nodes to launch, reports each outcome with
``finish(node, status)``, and stops when ``done``.

What a node's failure does is its ``on-error`` (valohai.yaml; ``policies`` at construction):

- ``stop-all`` (the default): every pending node is skipped and nothing more starts; ``halted_by``
  names the node, so the executor stops the running ones. The run fails.
- ``stop-next``: its descendants are skipped; independent branches go on.
- ``continue``: the node stays failed, but its descendants start as if it had succeeded.
- ``retry``: the executor re-runs it once before reporting; a failure reported here is the
  final one, handled like ``stop-all``.

A cancelled node is no error: its descendants are skipped, whatever its on-error.
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

STOP_ALL, STOP_NEXT, CONTINUE, RETRY = "stop-all", "stop-next", "continue", "retry"
ON_ERROR = (STOP_ALL, STOP_NEXT, CONTINUE, RETRY)


class SchedulerError(RuntimeError):
    pass


class Scheduler:
    def __init__(
        self,
        predecessors: Mapping[str, Iterable[str]],
        concurrency: int,
        order: Iterable[str] = (),
        policies: Mapping[str, str] | None = None,
    ) -> None:
        """``policies``: node -> on-error (absent: ``stop-all``)."""
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
        self.policies = {n: (policies or {}).get(n) or STOP_ALL for n in self._preds}
        for node, policy in self.policies.items():
            if policy not in ON_ERROR:
                raise SchedulerError(f"node {node!r}: unknown on-error {policy!r} ({', '.join(ON_ERROR)})")
        self.halted_by: str | None = None  # the node whose failure stopped everything (stop-all)
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
    def stopping(self) -> bool:
        """Nothing more starts: cancelled, or stopped by an action or a stop-all failure."""
        return self._cancelled

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
        """Nodes whose predecessors all succeeded (or failed with on-error ``continue``), up to
        the free concurrency; marked running.

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
                if s == PENDING and all(self._passes(p) for p in self._preds[n])
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

    def _passes(self, node: str) -> bool:
        """Its successors may start: it succeeded, or failed with on-error ``continue``."""
        status = self.status[node]
        return status in OK_STATUSES or (status == FAILED and self.policies[node] == CONTINUE)

    def finish(self, node: str, status: str) -> list[str]:
        """Record a running (or held) node's terminal status; returns the nodes newly skipped.

        After a ``stop-all`` failure ``halted_by`` is ``node`` (unless the run was already
        stopping: cancelled, or stopped by an action or another failure)."""
        if self.status.get(node) not in (RUNNING, AWAITING_APPROVAL):
            raise SchedulerError(f"node {node!r} is {self.status.get(node)!r}, not running")
        if status not in TERMINAL_STATUSES:
            raise SchedulerError(f"{status!r} is not a terminal status")
        self.status[node] = status
        if self._passes(node):
            return []
        if status == FAILED and self.policies[node] in (STOP_ALL, RETRY):
            if self._cancelled:
                return []  # already stopping: nothing is pending any more
            self.halted_by = node
            return self._skip_all()
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
        if self._stopped != FAILED:
            self._stopped = FAILED if error else STOPPED
        return self._skip_all()

    def _skip_all(self) -> list[str]:
        """Stop launching; every pending or held node is skipped (returned in launch order)."""
        self._cancelled = True
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
        A failed node with on-error ``continue`` still fails the run: a failure is never hidden.
        """
        values = set(self.status.values())
        if FAILED in values or self._stopped == FAILED:
            return FAILED
        if self._stopped == STOPPED:
            return STOPPED
        if CANCELLED in values:
            return CANCELLED
        return "succeeded"
