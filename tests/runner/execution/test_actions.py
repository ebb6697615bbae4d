"""Node actions (when / if / then) and require-approval: the evaluator, then real Docker runs."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runner.events import (
    ApprovalRequested,
    ApprovalResolved,
    Event,
    LogLine,
    NodeStateChanged,
    RunFinished,
)
from runner.execution.conditions import (
    ActionError,
    check_expression,
    condition_values,
    evaluate,
    task_metadata,
)
from runner.execution.plan import attach_actions
from runner.metadata import latest_values
from runner.store.db import RunStore

IMAGE_MAP = {"busybox": "pipeline-designer-test/busybox:1"}


@pytest.fixture(autouse=True)
def _private_home(home: Path) -> Path:
    """Every run here gets its own data dir (no reuse from, or litter in, the user's store)."""
    return home


# the evaluator ---------------------------------------------------------------------------------
def _holds(expressions: str | list[str], metadata: dict[str, Any] | None = None, **params: Any) -> bool:
    exprs = [expressions] if isinstance(expressions, str) else expressions
    return evaluate(exprs, condition_values(metadata or {}, params)).holds


def test_metadata_and_parameters_with_dashes_keywords_and_both_prefixes() -> None:
    params = {"learning-rate": 0.1, "class": "cat", "epochs": 3}
    assert _holds("parameter.learning-rate > 0.01", **params)
    assert not _holds("parameters.learning-rate > 0.5", **params)
    assert _holds('parameter.class == "cat" and parameters.epochs >= 3', **params)
    assert _holds("metadata.val-acc > 0.9", {"val-acc": 0.95})
    assert _holds("metadata.a - 1 > 0", {"a": 2})  # with spaces, a dash subtracts
    assert _holds("metadata.cm.total == 10", {"cm": {"total": 10}})  # nested object
    assert _holds("metadata.val.loss < 1", {"val.loss": 0.5})  # dotted key


def test_a_list_of_conditions_must_all_hold() -> None:
    metadata = {"accuracy": 0.95, "loss": 0.3}
    assert _holds(["metadata.accuracy > 0.9", "metadata.loss < 0.5"], metadata)
    assert not _holds(["metadata.accuracy > 0.9", "metadata.loss < 0.1"], metadata)
    assert _holds([], metadata)  # no `if`: always


def test_strings_bools_none_and_weak_typing() -> None:
    metadata = {"phase": "done", "ok": True, "best": None, "n": "7", "delta": -0.05}
    assert _holds('metadata.phase == "done"', metadata)
    assert _holds("metadata.ok", metadata) and _holds("metadata.ok == True", metadata)
    assert not _holds("not metadata.ok", metadata)
    assert _holds("metadata.best is None", metadata) and _holds("metadata.best == None", metadata)
    assert _holds("metadata.n > 5", metadata)  # "7" compared as a number, like valohai does
    assert _holds('metadata.phase in ("done", "stopped")', metadata)
    assert _holds("abs(metadata.delta) < 0.1 and max(metadata.delta, 1) == 1", metadata)


def test_a_missing_name_or_an_impossible_comparison_is_false_and_says_why() -> None:
    values = condition_values({"accuracy": 0.5, "best": None}, {"learning-rate": 1})
    verdict = evaluate(["metadata.accuracy > 0.1", "metadata.val-acc > 0.9"], values)
    assert not verdict.holds and verdict.missing == ("metadata.val-acc",)
    verdict = evaluate(["parameter.epochs > 1"], values)
    assert verdict.missing == ("parameter.epochs",)
    verdict = evaluate(["metadata.best > 0.9"], values)
    assert not verdict.holds and "metadata.best > 0.9" in verdict.problem


def test_bad_syntax_is_an_error_naming_the_expression() -> None:
    for bad in ["metadata.accuracy >", "import os", "[1, 2]", "a < b < c", "metadata.x.y()"]:
        assert check_expression(bad), bad
        with pytest.raises(ActionError, match="is not a valid expression"):
            evaluate([bad], {})
    assert check_expression("metadata.accuracy > 0.9") is None


def test_task_metadata_is_the_latest_value_of_the_execution_that_finished_last() -> None:
    first = [{"accuracy": 0.7, "loss": 0.5}, {"accuracy": 0.8}]
    last = [{"accuracy": 0.6}]
    assert latest_values(task_metadata([first, last])) == {"accuracy": 0.6, "loss": 0.5}


def test_an_invalid_condition_is_refused_when_planning(project: Callable[..., Path]) -> None:
    from runner.api import plan_run
    from runner.execution.plan import PlanError

    path = project(_yaml("[{when: node-complete, if: 'metadata.accuracy >', then: stop-pipeline}]"))
    # lint finds it first (at its line), so planning refuses it with lint's message
    with pytest.raises(
        PlanError,
        match=r'valohai.yaml:\d+:\d+: error: node "train": action condition '
        r'"metadata.accuracy >" is not a valid expression',
    ):
        plan_run(path, pipeline="p")


def test_attach_actions_copies_them_onto_the_plan(project: Callable[..., Path]) -> None:
    import valohai_yaml

    from runner.execution.plan import plan_pipeline

    text = _yaml(STOP_WHEN_ACCURATE)
    config = valohai_yaml.parse(text)
    plan = plan_pipeline(config, "p", project(text).parent)
    attach_actions(plan, config.pipelines["p"])
    actions = plan.nodes["train"].actions  # type: ignore[attr-defined]
    assert [(sorted(a.when), a.if_, a.then) for a in actions] == [
        (["node-complete"], ["metadata.accuracy > 0.9"], ["stop-pipeline"])
    ]
    assert plan.nodes["evaluate"].actions == []  # type: ignore[attr-defined]


# Docker runs -----------------------------------------------------------------------------------
# train prints {"accuracy": <its parameter>} and exits with <code>; evaluate and deploy follow it;
# side (only with side=True) is an independent branch that sleeps <nap> seconds.
STEPS = """
- step:
    name: train
    image: busybox
    command: sh emit.sh {parameter-value:accuracy} {parameter-value:code}
    parameters:
      - {name: accuracy, type: float, default: 0.5}
      - {name: learning-rate, type: float, default: 0.001}
      - {name: code, type: integer, default: 0}
- step:
    name: use
    image: busybox
    command: echo used
    inputs: [{name: x, optional: true}]
- step:
    name: side
    image: busybox
    command: sleep {parameter-value:nap}
    parameters: [{name: nap, type: integer, default: 0}]
"""
EMIT = 'echo "{\\"accuracy\\": $1}"\nexit "$2"\n'
STOP_WHEN_ACCURATE = "[{when: node-complete, if: 'metadata.accuracy > 0.9', then: stop-pipeline}]"
STOP_MESSAGE = "pipeline stopped by action of node train: metadata.accuracy > 0.9"


def _yaml(actions: str, side: bool = False) -> str:
    extra = "\n      - {name: side, step: side, type: execution}" if side else ""
    return (
        STEPS
        + f"""
- pipeline:
    name: p
    nodes:
      - name: train
        step: train
        type: execution
        actions: {actions}
      - {{name: evaluate, step: use, type: execution}}
      - {{name: deploy, step: use, type: execution}}{extra}
    edges:
      - [train.output.*, evaluate.input.x]
      - [evaluate.output.*, deploy.input.x]
"""
    )


@pytest.fixture
def pipeline(project: Callable[..., Path]) -> Callable[..., Path]:
    def make(actions: str, side: bool = False) -> Path:
        return project(_yaml(actions, side), **{"emit.sh": EMIT})

    return make


def _messages(outcome: Any) -> dict[str, str]:
    return {e.node: e.message for e in outcome.events if isinstance(e, NodeStateChanged)}


def _log(outcome: Any, node: str) -> list[str]:
    return [e.text for e in outcome.events if isinstance(e, LogLine) and e.node == node]


@pytest.mark.docker
def test_stop_pipeline_when_accurate_stops_the_run(pipeline, run_yaml, home: Path) -> None:
    path = pipeline(STOP_WHEN_ACCURATE, side=True)
    t0 = time.monotonic()
    outcome = run_yaml(path, pipeline="p", params={"train.accuracy": 0.95, "side.nap": 60})
    assert time.monotonic() - t0 < 30  # side's 60 s sleep was stopped
    assert outcome.status == "stopped"
    statuses = outcome.statuses()
    assert statuses == {"train": "succeeded", "evaluate": "skipped", "deploy": "skipped", "side": "cancelled"}
    messages = _messages(outcome)
    assert messages["evaluate"] == messages["deploy"] == messages["side"] == STOP_MESSAGE
    assert "action stop-pipeline (node-complete: metadata.accuracy > 0.9)" in _log(outcome, "train")
    store = RunStore(home / "runs.sqlite3")
    assert store.run(outcome.run_id)["status"] == "stopped"
    assert store.execution(outcome.run_id, "deploy")["message"] == STOP_MESSAGE


@pytest.mark.docker
def test_stop_pipeline_condition_false_goes_on(pipeline, run_yaml) -> None:
    outcome = run_yaml(pipeline(STOP_WHEN_ACCURATE), pipeline="p", params={"train.accuracy": 0.5})
    assert outcome.status == "succeeded"
    assert set(outcome.statuses().values()) <= {"succeeded", "reused"}  # deploy reuses evaluate


@pytest.mark.docker
def test_error_pipeline_fails_the_run_and_a_missing_key_only_warns(pipeline, run_yaml) -> None:
    actions = (
        "[{when: node-complete, if: 'metadata.val-acc > 0.9', then: stop-pipeline},"
        " {when: node-complete, if: ['metadata.accuracy > 0.9', 'parameter.learning-rate < 0.01'],"
        " then: error-pipeline}, {when: node-complete, then: launch-rockets}]"
    )
    outcome = run_yaml(pipeline(actions), pipeline="p", params={"train.accuracy": 0.95})
    assert outcome.status == "failed"
    assert outcome.statuses() == {"train": "succeeded", "evaluate": "skipped", "deploy": "skipped"}
    assert _messages(outcome)["deploy"] == (
        "pipeline stopped by action of node train: metadata.accuracy > 0.9 and parameter.learning-rate < 0.01"
    )
    log = _log(outcome, "train")
    assert "warning: action (node-complete): no value for metadata.val-acc; condition is false" in log
    assert any("unknown then 'launch-rockets' ignored" in line for line in log)


@pytest.mark.docker
def test_node_starting_parameter_condition_stops_before_any_container(
    pipeline, run_yaml, docker_client
) -> None:
    actions = "[{when: node-starting, if: 'parameter.learning-rate > 0.01', then: stop-pipeline}]"
    path = pipeline(actions)
    outcome = run_yaml(path, pipeline="p", params={"train.learning-rate": 0.1})
    assert outcome.status == "stopped"
    assert outcome.statuses() == {"train": "skipped", "evaluate": "skipped", "deploy": "skipped"}
    assert not any(isinstance(e, NodeStateChanged) and e.status == "running" for e in outcome.events)
    assert _messages(outcome)["train"] == (
        "pipeline stopped by action of node train: parameter.learning-rate > 0.01"
    )
    outcome = run_yaml(path, pipeline="p", params={"train.learning-rate": 0.001})
    assert outcome.status == "succeeded"


@pytest.mark.docker
def test_node_error_action_stops_the_other_branch(pipeline, run_yaml) -> None:
    path = pipeline("[{when: node-error, then: stop-pipeline}]", side=True)
    outcome = run_yaml(path, pipeline="p", params={"train.code": 3, "side.nap": 60})
    assert outcome.status == "failed"  # a node failed: the run failed, stop or not
    statuses = outcome.statuses()
    assert statuses == {"train": "failed", "evaluate": "skipped", "deploy": "skipped", "side": "cancelled"}
    assert _messages(outcome)["side"] == "pipeline stopped by action of node train"
    outcome = run_yaml(path, pipeline="p", params={"side.nap": 0})  # no error: no action
    assert outcome.status == "succeeded"


# require-approval ------------------------------------------------------------------------------
def _start(
    path: Path,
    docker_client: Any,
    label: dict[str, str],
    params: dict[str, Any] | None = None,
    approve: tuple[str, ...] | list[str] = (),
    approve_all: bool = False,
    **opts: Any,
) -> Any:
    from runner.api import RunOptions, plan_run, start_run

    plan = plan_run(path, pipeline="p", params=params)
    options = RunOptions(image_map=IMAGE_MAP, labels=label, **opts)
    return start_run(
        plan,
        options,
        network="none",
        pull="never",
        client=docker_client,
        approve=approve,
        approve_all=approve_all,
    )


def _until(handle: Any, seen: list[Event], pred: Callable[[Event], bool], timeout: float = 60) -> Event:
    """Read ``handle.events`` (on this thread, not the runner's) until ``pred`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            event = handle.events.get(timeout=0.5)
        except queue.Empty:
            continue
        seen.append(event)
        if pred(event):
            return event
        assert not isinstance(event, RunFinished), f"run finished first: {event}"
    raise AssertionError("timed out waiting for an event")


def _finish(handle: Any, seen: list[Event]) -> RunFinished:
    event = _until(handle, seen, lambda e: isinstance(e, RunFinished))
    assert handle.wait(30) is not None
    assert isinstance(event, RunFinished)
    return event


def _approval(node: str) -> Callable[[Event], bool]:
    return lambda e: isinstance(e, ApprovalRequested) and e.node == node


APPROVE_START = "[{when: node-starting, if: 'parameter.accuracy > 0.9', then: require-approval}]"
APPROVE_COMPLETE = "[{when: node-complete, then: require-approval}]"


@pytest.mark.docker
def test_approval_before_start_frees_the_slot_then_approved(
    pipeline, docker_client, container_label, home
) -> None:
    path = pipeline(APPROVE_START, side=True)
    handle = _start(
        path, docker_client, container_label, {"train.accuracy": 0.95, "side.nap": 1}, concurrency=1
    )
    seen: list[Event] = []
    request = _until(handle, seen, _approval("train"))
    assert request.when == "node-starting" and request.reason == "node-starting: parameter.accuracy > 0.9"
    assert handle.awaiting_approval() == {"train": "node-starting"}
    # concurrency 1: the waiting node holds no slot, so side runs and finishes meanwhile
    _until(
        handle,
        seen,
        lambda e: isinstance(e, NodeStateChanged) and e.node == "side" and e.status == "succeeded",
    )
    with pytest.raises(ValueError, match="node 'side' is not awaiting approval"):
        handle.approve("side")
    threading.Thread(target=handle.approve, args=("train",)).start()
    finished = _finish(handle, seen)
    assert finished.status == "succeeded"
    assert [e.approved for e in seen if isinstance(e, ApprovalResolved)] == [True]
    train = [e.status for e in seen if isinstance(e, NodeStateChanged) and e.node == "train"]
    assert train == ["pending", "awaiting-approval", "pending", "running", "succeeded"]
    assert RunStore(home / "runs.sqlite3").execution(handle.run_id, "train")["message"] == "approved"
    with pytest.raises(ValueError, match="no node is"):
        handle.approve("train")


@pytest.mark.docker
def test_approval_before_start_rejected_fails_the_node(pipeline, docker_client, container_label) -> None:
    handle = _start(pipeline(APPROVE_START), docker_client, container_label, {"train.accuracy": 0.95})
    seen: list[Event] = []
    _until(handle, seen, _approval("train"))
    handle.reject("train")
    finished = _finish(handle, seen)
    assert finished.status == "failed"
    assert finished.node_statuses == {"train": "failed", "evaluate": "skipped", "deploy": "skipped"}
    assert (
        next(e for e in seen if isinstance(e, NodeStateChanged) and e.status == "failed").message
        == "rejected"
    )
    assert [e.approved for e in seen if isinstance(e, ApprovalResolved)] == [False]


@pytest.mark.docker
def test_approval_after_complete_holds_the_results_until_approved(
    pipeline, docker_client, container_label, home
) -> None:
    handle = _start(pipeline(APPROVE_COMPLETE), docker_client, container_label)
    seen: list[Event] = []
    request = _until(handle, seen, _approval("train"))
    assert request.when == "node-complete"
    time.sleep(1.5)  # nothing downstream starts while train waits
    while not handle.events.empty():
        seen.append(handle.events.get())
    assert not any(
        isinstance(e, NodeStateChanged) and e.node != "train" and e.status == "running" for e in seen
    )
    store = RunStore(home / "runs.sqlite3")
    assert store.execution(handle.run_id, "train")["status"] == "awaiting-approval"
    threading.Thread(target=handle.approve, args=("train",)).start()
    finished = _finish(handle, seen)
    assert finished.status == "succeeded"
    train = [e.status for e in seen if isinstance(e, NodeStateChanged) and e.node == "train"]
    assert train == ["pending", "running", "awaiting-approval", "succeeded"]
    row = store.execution(handle.run_id, "train")
    assert row["status"] == "succeeded" and row["message"] == "approved"


@pytest.mark.docker
def test_approval_after_complete_rejected_and_cancel_while_waiting(
    pipeline, docker_client, container_label
) -> None:
    path = pipeline(APPROVE_COMPLETE)
    handle = _start(path, docker_client, container_label)
    seen: list[Event] = []
    _until(handle, seen, _approval("train"))
    threading.Thread(target=handle.reject, args=("train",)).start()
    finished = _finish(handle, seen)
    assert finished.status == "failed"
    assert finished.node_statuses == {"train": "failed", "evaluate": "skipped", "deploy": "skipped"}
    handle = _start(path, docker_client, container_label, reuse=False)
    seen = []
    _until(handle, seen, _approval("train"))
    handle.cancel()
    finished = _finish(handle, seen)
    assert finished.status == "cancelled"
    assert finished.node_statuses == {"train": "cancelled", "evaluate": "cancelled", "deploy": "cancelled"}


@pytest.mark.docker
def test_preapproved_nodes_do_not_wait(pipeline, docker_client, container_label) -> None:
    path = pipeline(APPROVE_COMPLETE)
    with pytest.raises(ValueError, match="--approve: no node ghost"):
        _start(path, docker_client, container_label, approve=["ghost"])
    for approve in ({"approve": ["train"]}, {"approve_all": True}):
        handle = _start(path, docker_client, container_label, reuse=False, **approve)
        seen: list[Event] = []
        assert _finish(handle, seen).status == "succeeded"
        assert not any(isinstance(e, ApprovalRequested) for e in seen)
        assert [e.approved for e in seen if isinstance(e, ApprovalResolved)] == [True]


TASK_YAML = (
    STEPS
    + """
- task:
    name: sweep
    step: train
    parameters:
      - {name: accuracy, style: multiple, rules: {items: [0.95, 0.97]}}
- pipeline:
    name: p
    nodes:
      - name: train
        type: task
        task: sweep
        actions: [{when: node-complete, if: 'metadata.accuracy > 0.9', then: require-approval}]
      - {name: evaluate, step: use, type: execution}
    edges:
      - [train.output.*, evaluate.input.x]
"""
)


@pytest.mark.docker
def test_a_task_node_asks_once_for_the_whole_sweep(project, docker_client, container_label) -> None:
    path = project(TASK_YAML, **{"emit.sh": EMIT})
    handle = _start(path, docker_client, container_label)
    seen: list[Event] = []
    request = _until(handle, seen, _approval("train"))
    assert request.when == "node-complete"  # after both executions, with the last one's accuracy
    children = [e for e in seen if isinstance(e, NodeStateChanged) and e.child and e.status == "succeeded"]
    assert sorted(e.child for e in children) == [1, 2]
    assert not any(
        isinstance(e, NodeStateChanged) and e.node == "evaluate" and e.status == "running" for e in seen
    )
    handle.approve("train")
    finished = _finish(handle, seen)
    assert finished.status == "succeeded"
    assert finished.node_statuses == {"train": "succeeded", "evaluate": "succeeded"}
    assert sum(isinstance(e, ApprovalRequested) for e in seen) == 1
