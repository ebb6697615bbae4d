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
from typing import TYPE_CHECKING, Any

from runner.dag.scheduler import CONTINUE, RETRY
from runner.events import AWAITING_APPROVAL, FAILED, SKIPPED
from runner.execution.prepare import NodeResult

if TYPE_CHECKING:
    from runner.execution.executor import Executor

RETRYING = "retrying (on-error: retry)"


def attempt_name(unit: str, attempt: int) -> str:
    """The store name of an earlier attempt's row: ``train`` -> ``train~1``."""
    return f"{unit}~{attempt}"


class ErrorPolicy:
    """The executor's on-error machinery (called on the loop thread)."""

    def __init__(self, executor: Executor) -> None:
        self.ex = executor
        self.attempts: dict[str, int] = {}  # node -> its current attempt, once retried

    def attempt(self, unit: str) -> int:
        """1, or 2 for a retried node (and the executions of a retried task node)."""
        return self.attempts.get(self.ex._tasks.split(unit)[0], 1)

    def retry(self, node: str, status: str, execution_id: str | None, info: dict[str, Any]) -> bool:
        """Re-run ``node`` if its on-error is ``retry`` and this was its first failure: True
        when it was relaunched (the node is not finished)."""
        ex = self.ex
        tpl = ex.plan.nodes.get(node)
        if status != FAILED or tpl is None or tpl.on_error != RETRY or node in self.attempts:
            return False
        if ex._stop.is_set() or ex._sched.stopping or ex._sched.status.get(node) == AWAITING_APPROVAL:
            return False  # the run is stopping, or a person rejected the node
        if node in ex._unplaceable:
            return False  # no host can take it: a second try would not either
        self.attempts[node] = 2
        self._keep_first_attempt(node, execution_id, info)
        ex._runner_line(node, RETRYING)
        ex._results.pop(node, None)
        ctx = ex._ctx
        assert ctx is not None
        ctx.log = ex._node_logger(node)
        if tpl.kind == "task":
            ex._tasks.restart(ctx, node)
        else:
            ex._launch_unit(ctx, tpl, node)
        return True

    def finished(self, node: str, status: str) -> None:
        """``node`` ended (its row and event written): tell the scheduler and act on what it says."""
        ex = self.ex
        tpl = ex.plan.nodes[node]
        if status == FAILED and tpl.on_error == CONTINUE and node not in ex._results:
            ex._results[node] = NodeResult()  # failed before it ran: its edges deliver nothing
        skipped = ex._sched.finish(node, status)
        if ex._sched.halted_by != node:
            for other in skipped:
                ex._set_status(other, SKIPPED, message=f"upstream node {node!r} {status}")
            return
        again = " again" if node in self.attempts else ""
        message = f"pipeline stopped: node {node} failed{again} (on-error: {tpl.on_error})"
        ex._runner_line(node, message)
        for other in skipped:
            ex._set_status(other, SKIPPED, message=message)
        ex.actions.stopped = ex.actions.stopped or message  # running nodes end cancelled with it
        ex.cancel()

    def _keep_first_attempt(self, node: str, execution_id: str | None, info: dict[str, Any]) -> None:
        """Rename the first attempt's rows (the node's, and a task's executions') ``<unit>~1``."""
        ex = self.ex
        now = time.time()
        fields = {k: v for k, v in info.items() if k in ("exit_code", "message")}
        rows = {r["node"]: r for r in ex.store.executions(ex.run_id)}
        row = rows.get(node)
        row_id = execution_id or (row["id"] if row else f"{ex.run_id}-{attempt_name(node, 1)}")
        ex.store.upsert_execution(
            row_id,
            run_id=ex.run_id,
            node=attempt_name(node, 1),
            step=ex.plan.nodes[node].step,
            status=FAILED,
            ended=now,
            **fields,
        )
        for unit, child in rows.items():
            if ex._tasks.split(unit)[0] == node and unit != node:
                ex.store.upsert_execution(child["id"], node=attempt_name(unit, 1))
