"""A node's ``on-error`` in the executor: retry it once, or stop the whole pipeline.

The scheduler (runner.dag.scheduler) decides which nodes a failure skips; this module does the
I/O around it:

- ``retry``: the failed node runs once more in a fresh container, with a new execution id
  (``<id>-2``, so ``$VH_EXECUTION_ID`` tells the attempts apart) and without asking its
  node-starting actions again. The first attempt's store row is kept under the node name
  ``<node>~1`` (a task node's rows too: ``train~1``, ``train#3~1``); the node's own row is the
  last attempt. If the retry fails too, the node is handled as ``stop-all``.
- ``stop-all`` (and a failed retry): pending nodes are skipped and running ones stopped, both
  with the message "pipeline stopped: node X failed (on-error: stop-all)".
- ``continue``: downstream nodes start; a node that produced nothing (it failed before it ran)
  hands on nothing, so an edge from it fails its target with the usual clear message.

A cancelled node is no error (no retry), nor is a rejected approval retried (a person said no).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runner.dag.scheduler import CONTINUE, RETRY
from runner.events import AWAITING_APPROVAL, FAILED, SKIPPED
from runner.execution.naming import attempt_name
from runner.execution.prepare import NodeResult
from runner.execution.run_state import RunState

RETRYING = "retrying (on-error: retry)"


@dataclass(frozen=True)
class ErrorHooks:
    """What on-error needs from the rest of the run (called on the loop thread)."""

    relaunch: Callable[[str], None]  # run the node again (a task node: every execution anew)
    set_status: Callable[..., None]  # set_status(node, status, message=...): row and event
    stop_run: Callable[[str], None]  # stop the pipeline; running nodes end cancelled with this message


class ErrorPolicy:
    """The run's on-error machinery (called on the loop thread)."""

    def __init__(self, state: RunState, hooks: ErrorHooks) -> None:
        self.state = state
        self._hooks = hooks
        self.attempts: dict[str, int] = {}  # node -> its current attempt, once retried

    def attempt(self, unit: str) -> int:
        """1, or 2 for a retried node (and the executions of a retried task node)."""
        return self.attempts.get(self.state.split(unit)[0], 1)

    def retry(self, node: str, status: str, execution_id: str | None, info: dict[str, Any]) -> bool:
        """Re-run ``node`` if its on-error is ``retry`` and this was its first failure: True
        when it was relaunched (the node is not finished)."""
        st = self.state
        tpl = st.plan.nodes.get(node)
        if status != FAILED or tpl is None or tpl.on_error != RETRY or node in self.attempts:
            return False
        sched = st.scheduler
        if st.stop.is_set() or sched.stopping or sched.status.get(node) == AWAITING_APPROVAL:
            return False  # the run is stopping, or a person rejected the node
        if st.placements.unplaceable(node) is not None:
            return False  # no host can take it: a second try would not either
        self.attempts[node] = 2
        self._keep_first_attempt(node, execution_id, info)
        st.log.line(node, RETRYING)
        st.results.pop(node, None)
        self._hooks.relaunch(node)
        return True

    def finished(self, node: str, status: str) -> None:
        """``node`` ended (its row and event written): tell the scheduler and act on what it says."""
        st = self.state
        tpl = st.plan.nodes[node]
        if status == FAILED and tpl.on_error == CONTINUE and node not in st.results:
            st.results[node] = NodeResult()  # failed before it ran: its edges deliver nothing
        skipped = st.scheduler.finish(node, status)
        if st.scheduler.halted_by != node:
            for other in skipped:
                self._hooks.set_status(other, SKIPPED, message=f"upstream node {node!r} {status}")
            return
        again = " again" if node in self.attempts else ""
        message = f"pipeline stopped: node {node} failed{again} (on-error: {tpl.on_error})"
        st.log.line(node, message)
        for other in skipped:
            self._hooks.set_status(other, SKIPPED, message=message)
        self._hooks.stop_run(message)

    def _keep_first_attempt(self, node: str, execution_id: str | None, info: dict[str, Any]) -> None:
        """Rename the first attempt's rows (the node's, and a task's executions') ``<unit>~1``."""
        st = self.state
        now = time.time()
        fields = {k: v for k, v in info.items() if k in ("exit_code", "message")}
        rows = {r["node"]: r for r in st.store.executions(st.run_id)}
        row = rows.get(node)
        row_id = execution_id or (row["id"] if row else f"{st.run_id}-{attempt_name(node, 1)}")
        st.store.upsert_execution(
            row_id,
            run_id=st.run_id,
            node=attempt_name(node, 1),
            step=st.plan.nodes[node].step,
            status=FAILED,
            ended=now,
            **fields,
        )
        for unit, child in rows.items():
            if st.split(unit)[0] == node and unit != node:
                st.store.upsert_execution(child["id"], node=attempt_name(unit, 1))
