"""What a run says about nodes beyond their status: task executions, approvals, endpoints.

Fed by the bridge (live events) or by the store's rows (a past run, where a task's execution
``k`` of node ``train`` is the row named ``train#3``). The canvas strips, the approval banner,
the metrics ranking and the logs' execution picker all read this one model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from runner.api import is_earlier_attempt, split_unit  # the runner's names: "train#3", "train~1"
from runner.events import (
    OK_STATUSES,
    RUNNING,
    TERMINAL_STATUSES,
    ApprovalRequested,
    ApprovalResolved,
    EndpointReady,
    EndpointStopped,
    NodeStateChanged,
    TaskExpanded,
    TaskProgress,
)


def format_params(params: dict[str, Any]) -> str:
    """``{"lr": 0.1, "depth": 3}`` -> ``"lr=0.1 depth=3"`` (floats without float noise)."""
    return " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


def varied(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The parameters that differ between executions (a past run's rows hold all of them)."""
    keys: list[str] = []
    for params in rows:
        for key in params:
            if key not in keys and len({repr(p.get(key)) for p in rows}) > 1:
                keys.append(key)
    return [{k: p[k] for k in keys if k in p} for p in rows]


@dataclass(frozen=True)
class TaskCounts:
    total: int
    running: int = 0
    succeeded: int = 0
    failed: int = 0

    @property
    def finished(self) -> int:
        return self.succeeded + self.failed

    def text(self) -> str:
        """The node's counter: ``"3/6"``, ``"5/6 · 1 failed"``."""
        return f"{self.finished}/{self.total}" + (f" · {self.failed} failed" if self.failed else "")


@dataclass(frozen=True)
class Endpoint:
    name: str
    url: str
    container: str = ""
    stopped: bool = False


class RunDetails(QObject):
    # Something about this node (its executions, approval or endpoint) changed (node name)
    node_changed = Signal(str)
    # Everything was replaced (a new run started, or a past run was loaded)
    details_reset = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.run_id: str | None = None
        self._children: dict[str, tuple[dict[str, Any], ...]] = {}
        self._counts: dict[str, TaskCounts] = {}
        self._child_status: dict[str, dict[int, str]] = {}
        self._approvals: dict[str, ApprovalRequested] = {}
        self._endpoints: dict[str, Endpoint] = {}

    def reset(self, run_id: str | None) -> None:
        self.run_id = run_id
        for table in (self._children, self._counts, self._child_status, self._approvals, self._endpoints):
            table.clear()
        self.details_reset.emit()

    def _ours(self, run_id: str) -> bool:
        return self.run_id is None or run_id == self.run_id  # else a late event of an earlier run

    # --- live events ---------------------------------------------------------------------------
    def apply(self, events: Iterable[Any]) -> None:
        """Task, child-state, approval and endpoint events (other kinds are ignored)."""
        changed: list[str] = []
        for e in events:
            if not self._ours(e.run_id) or not self._apply_one(e):
                continue
            if e.node not in changed:
                changed.append(e.node)
        for node in changed:
            self.node_changed.emit(node)

    def _apply_one(self, e: Any) -> bool:
        if isinstance(e, TaskExpanded):
            self._children[e.node] = tuple(e.children)
            self._counts.setdefault(e.node, TaskCounts(len(e.children)))
        elif isinstance(e, TaskProgress):
            self._counts[e.node] = TaskCounts(e.total, e.running, e.succeeded, e.failed)
        elif isinstance(e, NodeStateChanged) and e.child is not None:
            self._child_status.setdefault(e.node, {})[e.child] = e.status
        elif isinstance(e, ApprovalRequested):
            self._approvals[e.node] = e
        elif isinstance(e, ApprovalResolved):
            self._approvals.pop(e.node, None)
        elif isinstance(e, EndpointReady):
            self._endpoints[e.node] = Endpoint(e.endpoint, e.url, e.container)
        elif isinstance(e, EndpointStopped):
            old = self._endpoints.get(e.node)
            url, container = (old.url, old.container) if old else ("", "")
            self._endpoints[e.node] = Endpoint(e.endpoint, url, container, stopped=True)
        else:
            return False
        return True

    def run_ended(self) -> None:
        """No approval can be answered once the run is over."""
        for node in list(self._approvals):
            del self._approvals[node]
            self.node_changed.emit(node)

    # --- a past run ------------------------------------------------------------------------------
    def load_executions(self, run_id: str, executions: list[dict[str, Any]]) -> None:
        """A past run's task executions from the store rows named ``<node>#<k>``."""
        self.reset(run_id)
        by_node: dict[str, dict[int, dict[str, Any]]] = {}
        for row in executions:
            if is_earlier_attempt(row["node"]):
                continue
            node, k = split_unit(row["node"])
            if k is not None:
                by_node.setdefault(node, {})[k] = row
        for node, rows in by_node.items():
            ks = sorted(rows)
            self._child_status[node] = {k: rows[k]["status"] for k in ks}
            params = varied([rows[k].get("parameters") or {} for k in ks])
            if ks == list(range(1, len(ks) + 1)):
                self._children[node] = tuple(params)
            self._counts[node] = _count(self._child_status[node].values(), len(ks))
        self.details_reset.emit()

    # --- queries ---------------------------------------------------------------------------------
    def children(self, node: str) -> tuple[dict[str, Any], ...]:
        return self._children.get(node, ())

    def child_count(self, node: str) -> int:
        counts = self.counts(node)
        known = max(self._child_status.get(node, {}), default=0)
        return max(len(self.children(node)), counts.total if counts else 0, known)

    def child_label(self, node: str, child: int) -> str:
        """``"#3 lr=0.1 depth=3"``: the execution and its varied parameters."""
        children = self.children(node)
        params = format_params(children[child - 1]) if 0 < child <= len(children) else ""
        return f"#{child} {params}".rstrip()

    def is_task(self, node: str) -> bool:
        return node in self._children or node in self._counts or node in self._child_status

    def counts(self, node: str) -> TaskCounts | None:
        if node in self._counts:
            return self._counts[node]
        statuses = self._child_status.get(node)
        return _count(statuses.values(), len(statuses)) if statuses else None

    def child_statuses(self, node: str) -> dict[int, str]:
        return dict(self._child_status.get(node, {}))

    def pending(self, node: str) -> ApprovalRequested | None:
        return self._approvals.get(node)

    def pending_approvals(self) -> list[ApprovalRequested]:
        return list(self._approvals.values())

    def endpoint(self, node: str) -> Endpoint | None:
        return self._endpoints.get(node)

    def live_endpoints(self) -> dict[str, Endpoint]:
        return {n: e for n, e in self._endpoints.items() if not e.stopped}

    def nodes(self) -> set[str]:
        """Every node this model says something about."""
        tables = (self._children, self._counts, self._child_status, self._approvals, self._endpoints)
        return {n for table in tables for n in table}


def _count(statuses: Iterable[str], total: int) -> TaskCounts:
    values = list(statuses)
    ok = sum(1 for s in values if s in OK_STATUSES)
    failed = sum(1 for s in values if s in TERMINAL_STATUSES and s not in OK_STATUSES)  # cancelled too
    return TaskCounts(total, sum(1 for s in values if s == RUNNING), ok, failed)
