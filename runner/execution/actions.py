"""Node actions of valohai.yaml pipelines: ``when`` / ``if`` / ``then``, evaluated by the runner.

    actions:
      - when: node-complete              # or node-starting, node-error (a string or a list)
        if: metadata.accuracy > 0.9      # one expression or a list: all must hold; none: always
        then: stop-pipeline              # error-pipeline, require-approval, noop (or a list)

Conditions use leval's ``CommonBooleanEvaluator`` (the evaluator valohai uses: dashed names,
weak typing, ``and/or/not``, ``in``, ``is None``, ``abs/min/max``). Names:
``metadata.<key>`` (the node's latest value of each key, docs/runtime.md §7; nested objects and dotted
keys as ``metadata.a.b``), ``parameter.<name>`` and ``parameters.<name>`` (resolved values).
Dashes are part of a name when written without spaces: ``parameter.learning-rate > 0.01``
(so subtraction needs spaces: ``metadata.a - 1``). Keys with other characters (``val/acc``)
cannot be referenced. A missing name makes its condition false, with a warning in the node's
log naming it; a value that cannot be compared (``None > 1``) likewise.

When: ``node-starting`` just before the node is launched (parameters resolved, no metadata);
``node-complete`` after it succeeded (or was reused), before its downstream nodes start;
``node-error`` after it failed. Then: ``stop-pipeline`` skips every pending node and stops the
running ones (run status ``stopped``); ``error-pipeline`` does the same but the run fails;
``require-approval`` pauses the node until ``approve``/``reject`` (node-starting: it does not
start; node-complete: its results are held). If several actions hold, the strongest wins:
error-pipeline > stop-pipeline > require-approval > noop. A stop/error-pipeline action on
node-error decides before the node's ``on-error`` (runner.execution.on_error): no retry then.

Task nodes: node-complete/node-error are evaluated once for the task node as a whole, over
``task_metadata`` of its executions (runner.execution.conditions).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runner.events import (
    AWAITING_APPROVAL,
    CANCELLED,
    FAILED,
    OK_STATUSES,
    PENDING,
    SKIPPED,
    ApprovalRequested,
    ApprovalResolved,
    Event,
)
from runner.execution.conditions import ActionError, condition_values, evaluate
from runner.metadata import latest_values

if TYPE_CHECKING:
    from runner.execution.plan import RunPlan
    from runner.execution.run_state import RunState

STARTING, COMPLETE, ERROR = "node-starting", "node-complete", "node-error"
NOOP, STOP, ERROR_PIPELINE, APPROVAL = "noop", "stop-pipeline", "error-pipeline", "require-approval"
_RANK = {NOOP: 0, APPROVAL: 1, STOP: 2, ERROR_PIPELINE: 3}  # the strongest matching action wins
REJECTED = "rejected"


def node_actions(plan: RunPlan) -> dict[str, list[Any]]:
    """Each node's valohai_yaml ``NodeAction`` list (``NodeTemplate.actions``)."""
    return {name: list(tpl.actions) for name, tpl in plan.nodes.items()}


# the gate ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Decision:
    then: str = NOOP
    when: str = ""
    expression: str = ""  # the conditions that held, joined with " and " ("" = unconditional)

    @property
    def reason(self) -> str:
        return f"{self.when}: {self.expression or 'always'}"


@dataclass(frozen=True)
class ActionHooks:
    """What the gate needs from the rest of the run (called on the executor's loop thread)."""

    finish: Callable[..., None]  # finish(node, status, execution_id=None, **info): records + scheduler
    set_status: Callable[..., None]  # set_status(node, status, execution_id=None, message=...)
    cancel: Callable[[], None]  # stop launching, terminate running nodes (they end "cancelled")


@dataclass
class _Held:
    when: str
    execution_id: str | None
    status: str  # the node's own outcome, recorded once approved (node-complete)
    info: dict[str, Any] = field(default_factory=dict)


class ActionGate:
    """Evaluates node actions and applies them to the scheduler; approvals from any thread."""

    def __init__(self, state: RunState, hooks: ActionHooks) -> None:
        self._actions = node_actions(state.plan)
        self._sched = state.scheduler
        self._run_id = state.run_id
        self._hooks = hooks
        self._log: Callable[[str, str], None] = state.log.line  # a "runner" line in the node's log
        self._emit: Callable[[Event], None] = state.emit
        self._release: Callable[[str], None] = state.placements.release  # a held node's host slot
        self._wakeup = state.wakeup  # approve/reject come from other threads
        self._lock = threading.Lock()
        self._held: dict[str, _Held] = {}  # guarded by _lock (read by approve/reject)
        self._answers: dict[str, tuple[bool, str]] = {}  # guarded by _lock
        self._approved: set[str] = set()  # approved before they started: start without asking
        self._preapproved: set[str] = set()
        self._approve_all = False
        self.stopped = ""  # the stop message, once a stop/error-pipeline action fired

    # any thread -------------------------------------------------------------------------------
    def preapprove(self, nodes: Iterable[str] = (), everything: bool = False) -> None:
        """``--approve NODE`` / ``--approve-all``: require-approval passes without asking."""
        self._preapproved.update(nodes)
        self._approve_all = everything

    def awaiting(self) -> dict[str, str]:
        """Nodes waiting for an answer -> "node-starting" or "node-complete"."""
        with self._lock:
            return {n: h.when for n, h in self._held.items() if n not in self._answers}

    def approve(self, node: str) -> None:
        self._answer(node, True, "approved")

    def reject(self, node: str, message: str = REJECTED) -> None:
        self._answer(node, False, message or REJECTED)

    def _answer(self, node: str, approved: bool, message: str) -> None:
        with self._lock:
            if node not in self._held or node in self._answers:
                waiting = [n for n in self._held if n not in self._answers]
                listed = f"awaiting: {', '.join(waiting)}" if waiting else "no node is"
                raise ValueError(f"node {node!r} is not awaiting approval ({listed})")
            self._answers[node] = (approved, message)
        self._wakeup.set()

    # loop thread --------------------------------------------------------------------------------
    def decide(
        self, node: str, when: str, metadata: list[dict[str, Any]], parameters: Mapping[str, Any]
    ) -> Decision:
        """The strongest action of ``node`` for ``when`` whose conditions hold (warnings logged)."""
        chosen = Decision()
        actions = [a for a in self._actions.get(node, []) if when in a.when]
        values = condition_values(latest_values(metadata), parameters) if actions else {}
        for action in actions:
            try:
                verdict = evaluate(action.if_, values)
            except ActionError as exc:
                raise ActionError(f"node {node!r}: action `if` {exc}") from None
            for name in verdict.missing:
                self._log(node, f"warning: action ({when}): no value for {name}; condition is false")
            if verdict.problem:
                self._log(node, f"warning: action ({when}): {verdict.problem}; condition is false")
            if not verdict.holds:
                continue
            for then in action.then:
                if then not in _RANK:
                    known = ", ".join(sorted(_RANK))
                    self._log(node, f"warning: action ({when}): unknown then {then!r} ignored ({known})")
                    continue
                decision = Decision(then, when, " and ".join(map(str, action.if_)))
                self._log(node, f"action {then} ({decision.reason})")
                if _RANK[then] > _RANK[chosen.then]:
                    chosen = decision
        return chosen

    def on_starting(self, node: str, parameters: Mapping[str, Any], execution_id: str | None = None) -> bool:
        """Before launching ``node`` (a running node in the scheduler): True to go on."""
        if node in self._approved:
            return True
        try:
            decision = self.decide(node, STARTING, [], parameters)
        except ActionError as exc:
            self._log(node, f"error: {exc}")
            self._hooks.finish(node, FAILED, execution_id=execution_id, message=str(exc))
            return False
        if decision.then in (STOP, ERROR_PIPELINE):
            self._stop(
                node,
                decision,
                first=lambda msg: self._hooks.finish(node, SKIPPED, execution_id=execution_id, message=msg),
            )
            return False
        if decision.then == APPROVAL and not self._pass(node):
            self._hold(node, decision, _Held(STARTING, execution_id, PENDING))
            return False
        return True

    def hold_at_start(self, node: str, execution_id: str | None, why: str) -> bool:
        """A run-time breakpoint (pause before this node): held like a node-starting approval, and
        let go by ``approve`` (continue) or ``reject``. True once it was let go."""
        if node in self._approved:
            return True
        self._hold(node, Decision(APPROVAL, STARTING, why), _Held(STARTING, execution_id, PENDING))
        return False

    def on_complete(
        self,
        node: str,
        status: str,
        metadata: list[dict[str, Any]],
        parameters: Mapping[str, Any],
        execution_id: str | None = None,
        **info: Any,
    ) -> None:
        """Record ``node``'s outcome, after its node-complete / node-error actions."""
        if status == CANCELLED and self.stopped:
            info["message"] = self.stopped  # stopped by the action, not by a user
        when = COMPLETE if status in OK_STATUSES else ERROR if status == FAILED else ""
        try:
            decision = self.decide(node, when, metadata, parameters) if when else Decision()
        except ActionError as exc:
            self._log(node, f"error: {exc}")
            status, info["message"] = FAILED, str(exc)
            decision = Decision()
        if decision.then == APPROVAL and when == COMPLETE and not self._pass(node):
            self._hold(node, decision, _Held(COMPLETE, execution_id, status, info))
            return
        if decision.then == APPROVAL and when == ERROR:
            self._log(node, "warning: require-approval on node-error does nothing (the node failed)")
        if node in self._approved and status in OK_STATUSES and not info.get("message"):
            info["message"] = "approved"
        if decision.then in (STOP, ERROR_PIPELINE):  # decides before the node's on-error
            self._stop(
                node,
                decision,
                first=lambda _m: self._hooks.finish(node, status, execution_id=execution_id, **info),
            )
            return
        self._hooks.finish(node, status, execution_id=execution_id, **info)

    def apply_answers(self) -> None:
        """Apply approvals/rejections given since the last call (the executor loop calls this)."""
        with self._lock:
            answers, self._answers = self._answers, {}
            held = {n: self._held.pop(n) for n in answers if n in self._held}
            for node in [n for n, h in self._held.items() if self._sched.status.get(n) != AWAITING_APPROVAL]:
                del self._held[node]  # cancelled or stopped while waiting
        for node, (approved, message) in answers.items():
            hold = held.get(node)
            if hold is None or self._sched.status.get(node) != AWAITING_APPROVAL:
                continue
            self._log(node, f"{message} ({hold.when})")
            self._emit(ApprovalResolved(self._run_id, node, approved, time.time()))
            if not approved:
                self._hooks.finish(node, FAILED, execution_id=hold.execution_id, message=message)
            elif hold.when == STARTING:
                self._approved.add(node)
                self._sched.resume(node)
                self._hooks.set_status(node, PENDING, execution_id=hold.execution_id, message="approved")
            else:
                self._hooks.finish(
                    node, hold.status, execution_id=hold.execution_id, **{**hold.info, "message": "approved"}
                )

    # helpers ------------------------------------------------------------------------------------
    def _pass(self, node: str) -> bool:
        """Approved in advance (--approve): note it and go on."""
        if not (self._approve_all or node in self._preapproved):
            return False
        self._log(node, "require-approval: approved in advance")
        self._approved.add(node)
        self._emit(ApprovalResolved(self._run_id, node, True, time.time()))
        return True

    def _hold(self, node: str, decision: Decision, hold: _Held) -> None:
        self._release(node)
        self._sched.hold(node)
        with self._lock:
            self._held[node] = hold
        self._hooks.set_status(
            node, AWAITING_APPROVAL, execution_id=hold.execution_id, message=decision.reason
        )
        self._log(node, f"waiting for approval ({decision.reason})")
        self._emit(ApprovalRequested(self._run_id, node, decision.when, decision.reason, time.time()))

    def _stop(self, node: str, decision: Decision, first: Callable[[str], None] | None = None) -> None:
        message = f"pipeline stopped by action of node {node}" + (
            f": {decision.expression}" if decision.expression else ""
        )
        self.stopped = self.stopped or message
        skipped = self._sched.stop(error=decision.then == ERROR_PIPELINE)
        if first is not None:
            first(message)
        for other in skipped:
            self._hooks.set_status(other, SKIPPED, message=message)
        self._hooks.cancel()
