"""The live state of each node of the run on screen: fed by the bridge or loaded from the store."""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from runner.api import is_earlier_attempt, split_unit
from runner.events import PENDING, RUNNING, TERMINAL_STATUSES, NodeStateChanged

QUEUED = "queued"  # what the user sees for the runner's "pending"


@dataclass(frozen=True)
class NodeState:
    status: str
    started: float | None = None  # wall time the node began running
    ended: float | None = None
    exit_code: int | None = None
    message: str = ""
    reused_from: str | None = None
    from_run: str | None = None  # set on an earlier run's result shown beside a partial run
    out_of_date: tuple[str, ...] = ()  # how the file differs from what that earlier run ran

    @classmethod
    def from_row(cls, row: dict, **extra: object) -> NodeState:
        """The state a row of the store's ``executions`` table records (``extra``: more fields)."""
        return cls(
            QUEUED if row["status"] == PENDING else row["status"],
            row.get("started"),
            row.get("ended"),
            row.get("exit_code"),
            row.get("message") or "",
            row.get("reused_from"),
            **extra,  # type: ignore[arg-type]
        )

    def elapsed(self, now: float | None = None) -> float | None:
        if self.started is None:
            return None
        end = self.ended if self.ended is not None else (now if now is not None else time.time())
        return max(0.0, end - self.started)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


class NodeStateModel(QObject):
    # One node's state changed (name)
    node_changed = Signal(str)
    # Every state was replaced (a new run started, or a past run was loaded)
    states_reset = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.run_id: str | None = None
        self._states: dict[str, NodeState] = {}
        # Nodes a partial run leaves out: their last result from an earlier run (never counted
        # in progress or in "Re-run failed", which are about the run on screen).
        self._earlier: dict[str, NodeState] = {}

    def reset(self, run_id: str | None, nodes: tuple[str, ...] | list[str] = ()) -> None:
        self.run_id = run_id
        self._states = {n: NodeState(QUEUED) for n in nodes}
        self._earlier = {}
        self.states_reset.emit()

    def set_earlier(self, states: dict[str, NodeState]) -> None:
        """Show these earlier results (``from_run`` set) for nodes the run on screen leaves out."""
        self._earlier = {n: s for n, s in states.items() if n not in self._states}
        self.states_reset.emit()

    def earlier(self) -> dict[str, NodeState]:
        return dict(self._earlier)

    def shown(self) -> dict[str, NodeState]:
        """What the canvas shows: the run on screen, and earlier results for the other nodes."""
        return {**self._earlier, **self._states}

    def apply(self, event: NodeStateChanged) -> None:
        if self.run_id is not None and event.run_id != self.run_id:
            return  # a late event of an earlier run
        if event.child is not None:
            return  # one execution of a task node, not the node itself (RunDetails keeps those)
        prev = self._states.get(event.node, NodeState(QUEUED))
        status = QUEUED if event.status == PENDING else event.status
        started = event.time if status == RUNNING and prev.started is None else prev.started
        ended = event.time if event.status in TERMINAL_STATUSES else None
        self._states[event.node] = NodeState(
            status, started, ended, event.exit_code, event.message, event.reused_from
        )
        self.node_changed.emit(event.node)

    def load_executions(self, run_id: str, executions: list[dict]) -> None:
        """Show a past run (rows of the store's ``executions`` table; a task's execution rows,
        named ``<node>#<k>``, are RunDetails' business)."""
        self.run_id = run_id
        self._earlier = {}
        self._states = {
            e["node"]: NodeState.from_row(e)
            for e in executions
            if split_unit(e["node"])[1] is None and not is_earlier_attempt(e["node"])
        }
        self.states_reset.emit()

    def state(self, node: str) -> NodeState | None:
        """The node's state in the run on screen (None for an earlier result: see ``shown``)."""
        return self._states.get(node)

    def states(self) -> dict[str, NodeState]:
        return dict(self._states)

    def progress(self) -> tuple[int, int]:
        """(finished nodes, all nodes)."""
        return sum(1 for s in self._states.values() if s.terminal), len(self._states)
