"""Task nodes: a parameter sweep run as many executions ("children") of one step.

When a task node becomes ready its edges are resolved (a metadata list from upstream may
spread), the sweep is expanded (``TaskExpanded``) and its executions start in parallel within
the run's free slots (and the hosts' limits). Each child is a full execution (container, log,
store row ``"<node>#<k>"``, metadata, outputs, reuse key); events about it carry ``child=k``.

The node's status once no child runs (``on-child-error``; default ``continue-and-error``, so a
failure is never hidden unless asked for):

- ``continue-and-error``: every child runs; the node fails if any failed.
- ``continue-and-complete``: every child runs; the node succeeds if at least one succeeded.
- ``stop-all-and-error``: the first failure stops the other children; the node fails.
- ``maximum-queued-executions``: at most that many of its executions at once.
- ``stop-condition`` (a leval expression over a child's ``metadata.<key>`` / ``parameter.<p>``):
  once a child meets it, no more children start, the running others are stopped (cancelled)
  and the node succeeds when that child does.

Downstream, the node hands on the union of its successful children's outputs (a path several
children wrote becomes ``NAME-<k>.EXT`` for each of them, said in the log), one metadata record
whose values are the LISTS of the children's latest values, and lists of their parameters.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from leval.excs import NoSuchValue
from leval.simple import simple_eval

from runner.events import (
    CANCELLED,
    FAILED,
    OK_STATUSES,
    PENDING,
    RUNNING,
    SUCCEEDED,
    TERMINAL_STATUSES,
    NodeStateChanged,
    TaskExpanded,
    TaskProgress,
)
from runner.execution.conditions import task_metadata
from runner.execution.naming import unit_name
from runner.execution.plan import NodeTemplate
from runner.execution.prepare import NodeResult, PrepareError, RunContext, edge_parameters
from runner.execution.run_state import RunState
from runner.execution.spec import OutputFile
from runner.execution.sweep import Sweep, SweepError, expand
from runner.metadata import latest_values


@dataclass
class _Child:
    index: int  # 1-based
    params: dict[str, Any]  # its varied parameters
    status: str = PENDING  # PENDING: not started; RUNNING: preparing, launching or running


@dataclass
class _Task:
    node: str
    sweep: Sweep
    children: list[_Child]
    finished: list[int] = field(default_factory=list)  # children in the order they ended
    stop_reason: str = ""  # set: no more children start, running ones are stopped
    met_by: int | None = None  # the child that met the stop condition
    bad_condition: bool = False  # the stop condition raised once: warned, not evaluated again
    done: bool = False
    latest: dict[int, dict[str, Any]] = field(default_factory=dict)  # a running child's latest values

    def count(self, statuses: frozenset[str] | set[str]) -> int:
        return sum(c.status in statuses for c in self.children)


@dataclass(frozen=True)
class TaskHooks:
    """What task nodes need from the rest of the run (called on the loop thread)."""

    launch: Callable[[RunContext, NodeTemplate, str, dict[str, Any]], None]  # one execution (unit runner)
    terminate: Callable[[str, str], None]  # stop a running execution with this reason
    attempt: Callable[[str], int]  # 1, or 2 when on-error: retry runs the task node again
    starting: Callable[[str, Mapping[str, Any], str], bool]  # node-starting actions: False holds or stops it
    complete: Callable[..., None]  # node-complete/-error actions of the task node, then finish
    finish: Callable[..., None]  # finish(unit, status, execution_id=None, **info)


class TaskRunner:
    """The run's task nodes: expands their sweeps and drives their executions."""

    def __init__(self, state: RunState, hooks: TaskHooks) -> None:
        self.state = state
        self._hooks = hooks
        self.tasks: dict[str, _Task] = {}

    # the executor calls these ------------------------------------------------
    def start(self, ctx: RunContext, node: str) -> None:
        """The task node is ready: expand its sweep (edges resolved first)."""
        st, tpl = self.state, self.state.plan.nodes[node]
        sweep = tpl.sweep or Sweep(where=f"node {node!r}")
        row_id = self._row_id(node)
        try:
            values = {**edge_parameters(ctx, node, st.results), **tpl.explicit}
        except PrepareError as exc:
            st.log.line(node, f"error: {exc}")
            self._hooks.finish(node, FAILED, execution_id=row_id, message=str(exc))
            return
        # node-starting conditions see every parameter: defaults (after overrides) under the
        # values given to the task (lists, for what it sweeps over)
        defaults = {k: p.default for k, p in tpl.parameters.items() if p.default is not None}
        retried = self._hooks.attempt(node) > 1  # on-error: retry does not ask node-starting again
        if not retried and not self._hooks.starting(node, {**defaults, **values}, row_id):
            return  # a node-starting action holds the whole task for approval, or stopped the run
        now = time.time()
        st.store.upsert_execution(
            row_id, run_id=st.run_id, node=node, step=tpl.step, status=RUNNING, started=now
        )
        st.emit(NodeStateChanged(st.run_id, node, RUNNING, now))
        try:
            spread = tpl.spread(values)
            # A single value given for a varied parameter (pipeline parameter, edge) replaces the variant.
            varied = {v.name for v in sweep.variants}
            spread.update({k: [v] for k, v in values.items() if k in varied and k not in spread})
            combos = expand(sweep, {n: p.type for n, p in tpl.parameters.items()}, spread)
        except (PrepareError, SweepError) as exc:
            st.log.line(node, f"error: {exc}")
            self._hooks.finish(node, FAILED, execution_id=row_id, message=str(exc))
            return
        task = _Task(node, sweep, [_Child(i, c) for i, c in enumerate(combos, 1)])
        self.tasks[node] = task
        st.log.line(
            node,
            f"task: {len(combos)} execution(s) ({sweep.type}, on-child-error {sweep.on_child_error}"
            + (f", stop-condition {sweep.stop_condition!r})" if sweep.stop_condition else ")"),
        )
        st.emit(TaskExpanded(st.run_id, node, tuple(c.params for c in task.children), time.time()))
        self._progress(task)

    def restart(self, ctx: RunContext, node: str) -> None:
        """on-error: retry: the failed task node runs again, every execution anew."""
        self.tasks.pop(node, None)
        self._sync_slots()
        self.start(ctx, node)

    def _row_id(self, node: str) -> str:
        attempt = self._hooks.attempt(node)
        return f"{self.state.run_id}-{node}" + (f"-{attempt}" if attempt > 1 else "")

    def tick(self, ctx: RunContext) -> bool:
        """Start children while there are free slots; finish tasks whose children are done.
        True when something changed (the loop goes round again at once)."""
        changed = False
        for task in list(self.tasks.values()):
            if task.done:
                continue
            if self.state.stop.is_set() and not task.stop_reason:
                task.stop_reason = "run cancelled"
            if task.stop_reason:
                self._stop_children(task)
            else:
                changed |= self._launch_more(ctx, task)
            if task.count({RUNNING}) == 0 and (task.stop_reason or task.count({PENDING}) == 0):
                self._complete(task)
                changed = True
        return changed

    def on_status(self, unit: str, status: str) -> None:
        """A child's state changed (the executor emitted its NodeStateChanged)."""
        node, k = self.state.split(unit)
        if k is None:
            return
        task = self.tasks[node]
        task.children[k - 1].status = status
        if status in TERMINAL_STATUSES:
            task.finished.append(k)
        if status == FAILED and task.sweep.on_child_error == "stop-all-and-error" and not task.stop_reason:
            task.stop_reason = f"execution {k} failed (on-child-error: stop-all-and-error)"
            self.state.log.line(node, f"stopping the other executions: {task.stop_reason}")
        if status in OK_STATUSES and unit in self.state.results:  # reused children print nothing live
            self._check_condition(task, k, latest_values(self.state.results[unit].metadata))
        self._sync_slots()
        self._progress(task)

    def on_metadata(self, unit: str, records: list[dict[str, Any]]) -> None:
        """A running child printed metadata lines (those since the loop's last turn): check the
        stop-condition on its latest values, kept here as they come (never read back)."""
        node, k = self.state.split(unit)
        if k is None or node not in self.tasks:
            return
        task = self.tasks[node]
        if task.sweep.stop_condition and not task.stop_reason:
            latest = task.latest.setdefault(k, {})
            for record in records:
                latest.update(record)
            self._check_condition(task, k, {key: v for key, v in latest.items() if key != "_time"})

    def abort(self) -> None:
        """The run is being torn down: every unfinished task node ends cancelled."""
        for task in self.tasks.values():
            if not task.done:
                task.done = True
                self._hooks.finish(task.node, CANCELLED, message="aborted")

    # internals ---------------------------------------------------------------
    def _launch_more(self, ctx: RunContext, task: _Task) -> bool:
        st, tpl = self.state, self.state.plan.nodes[task.node]
        started = False
        for child in task.children:
            if child.status != PENDING:
                continue
            active = task.count({RUNNING})
            if task.stop_reason or (active and st.scheduler.free <= 0):
                break
            if task.sweep.maximum_queued and active >= task.sweep.maximum_queued:
                break
            unit = unit_name(task.node, child.index)
            if not st.placements.place(unit, tpl.gpus, tpl.environment):
                break  # hosts busy: try again on the next tick
            child.status = RUNNING
            task.latest.pop(child.index, None)  # a relaunched child starts from nothing
            self._sync_slots()
            started = True
            self._hooks.launch(ctx, tpl, unit, child.params)  # fails it at once if no host can take it
        return started

    def _stop_children(self, task: _Task) -> None:
        for unit in list(self.state.running):
            node, k = self.state.split(unit)
            if node == task.node and k != task.met_by:
                self._hooks.terminate(unit, f"cancelled: {task.stop_reason}")

    def _check_condition(self, task: _Task, k: int, latest: dict[str, Any]) -> None:
        expr = task.sweep.stop_condition
        if not expr or task.stop_reason or task.bad_condition:
            return
        result = self.state.results.get(unit_name(task.node, k))
        running = self.state.running.get(unit_name(task.node, k))
        params = running.spec.parameters if running else (result.parameters if result else {})
        values: dict[Any, Any] = {("metadata", key): v for key, v in latest.items()}
        values.update({("parameter", key): v for key, v in params.items()})
        try:
            met = bool(simple_eval(expr, values=values, max_time=1.0))
        except NoSuchValue:
            return  # the key was not printed (yet)
        except Exception as exc:
            task.bad_condition = True
            self.state.log.line(task.node, f"warning: stop-condition {expr!r} cannot be evaluated: {exc}")
            return
        if met:
            task.met_by = k
            task.stop_reason = f"stop-condition {expr!r} met by execution {k}"
            self.state.log.line(task.node, f"{task.stop_reason}: no more executions start")

    def _complete(self, task: _Task) -> None:
        task.done = True
        self._sync_slots()
        children = task.children
        ok = task.count(OK_STATUSES)
        failed = task.count({FAILED})
        summary = f"{ok} ok, {failed} failed"
        if task.count({PENDING, CANCELLED}):
            summary += f", {task.count({PENDING, CANCELLED})} not run or stopped"
        st = self.state
        if st.stop.is_set():
            status = CANCELLED
        elif task.met_by is not None and children[task.met_by - 1].status in OK_STATUSES:
            status, summary = SUCCEEDED, f"{task.stop_reason}; {summary}"
        elif failed and (task.sweep.on_child_error != "continue-and-complete" or not ok):
            status = FAILED
        else:
            status = SUCCEEDED if ok else FAILED
        result = self._merge(task)
        st.results[task.node] = result
        row_id = self._row_id(task.node)
        st.store.add_outputs(row_id, [o.__dict__ for o in result.outputs])
        st.log.line(task.node, f"task finished: {status} ({summary})")
        units = [unit_name(task.node, k) for k in task.finished]
        metadata = task_metadata(st.results[u].metadata for u in units if u in st.results)
        # node-complete/node-error actions of the task node (they may hold it for approval), then finish
        self._hooks.complete(
            task.node, status, metadata, result.parameters, execution_id=row_id, message=summary
        )

    def _merge(self, task: _Task) -> NodeResult:
        """What downstream edges of the task node get from its successful children."""
        results = [
            (c.index, self.state.results[unit_name(task.node, c.index)])
            for c in task.children
            if c.status in OK_STATUSES and unit_name(task.node, c.index) in self.state.results
        ]
        clashes = Counter(o.path for _k, r in results for o in r.outputs)
        outputs: list[OutputFile] = []
        for k, r in results:
            outputs.extend(
                replace(o, path=_with_index(o.path, k)) if clashes[o.path] > 1 else o for o in r.outputs
            )
        renamed = sorted(p for p, n in clashes.items() if n > 1)
        if renamed:
            self.state.log.line(
                task.node,
                f"outputs written by several executions renamed NAME-<execution>.EXT: {', '.join(renamed)}",
            )
        latest = [latest_values(r.metadata) for _k, r in results]
        keys = list(dict.fromkeys(key for values in latest for key in values))
        record = {key: [values[key] for values in latest if key in values] for key in keys}
        names = list(dict.fromkeys(p for _k, r in results for p in r.parameters))
        parameters = {p: [r.parameters[p] for _k, r in results if p in r.parameters] for p in names}
        inputs = results[0][1].inputs if results else {}
        aliases = {_with_index(p, k): p for k, r in results for o in r.outputs if clashes[(p := o.path)] > 1}
        return NodeResult(outputs, [record] if record else [], parameters, inputs, aliases)

    def _sync_slots(self) -> None:
        # A running task node holds one scheduler slot; each running child beyond the first, one more.
        self.state.scheduler.extra_slots = sum(
            max(t.count({RUNNING}), 1) - 1 for t in self.tasks.values() if not t.done
        )

    def _progress(self, task: _Task) -> None:
        self.state.emit(
            TaskProgress(
                self.state.run_id,
                task.node,
                total=len(task.children),
                running=task.count({RUNNING}),
                succeeded=task.count(OK_STATUSES),
                failed=task.count({FAILED}),
                time=time.time(),
            )
        )


def _with_index(path: str, k: int) -> str:
    """``sub/model.tar.gz`` of execution 3 -> ``sub/model-3.tar.gz``."""
    head, slash, name = path.rpartition("/")
    stem, dot, ext = name[1:].partition(".") if name.startswith(".") else name.partition(".")
    stem = "." + stem if name.startswith(".") else stem
    return f"{head}{slash}{stem}-{k}{dot}{ext}"
