"""A node's on-error (stop-all, stop-next, continue, retry) on the real Docker engine."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runner.events import Event, LogLine, NodeStateChanged, RunFinished
from runner.execution.plan import plan_pipeline
from runner.store.db import RunStore
from tests.support.images import IMAGE_MAP

# bad: prints metadata, may write an output, naps, then exits with its code.
# flaky: fails unless it is a retry (the retry's execution id ends "-2"), then like bad.
# slow: a sibling branch (side -> after); use: takes its source's output and metadata.
BAD = """\
echo '{"loss": 0.25}'
if [ "$1" = 1 ]; then echo partial > /valohai/outputs/partial.txt; fi
sleep "$2"
exit "$3"
"""
FLAKY = """\
case "$VH_EXECUTION_ID" in
  *-2) sleep "$1"; echo second attempt ;;
  *) echo first attempt; exit 1 ;;
esac
echo '{"loss": 0.5}'
echo second > /valohai/outputs/second.txt
exit "$2"
"""
YAML = """\
- step:
    name: bad
    image: busybox
    command: sh bad.sh {parameter-value:write} {parameter-value:nap} {parameter-value:code}
    parameters:
      - {name: code, type: integer, default: 3}
      - {name: write, type: integer, default: 1}
      - {name: nap, type: float, default: 0}
- step:
    name: flaky
    image: busybox
    command: sh flaky.sh {parameter-value:again} {parameter-value:code}
    parameters:
      - {name: again, type: float, default: 0}
      - {name: code, type: integer, default: 0}
- step:
    name: slow
    image: busybox
    command: sleep {parameter-value:nap}; echo done > /valohai/outputs/done.txt
    parameters:
      - {name: nap, type: float, default: 0}
- step:
    name: use
    image: busybox
    command: echo "got loss={parameter-value:loss} $(cat /valohai/inputs/x/*)"
    parameters:
      - {name: loss, type: float, default: 0}
    inputs:
      - name: x
- pipeline:
    name: p
    nodes:
      - {name: first, step: FIRST, type: executionON_ERROR}
      - {name: child, step: use, type: execution}
      - {name: side, step: slow, type: execution}
      - {name: after, step: use, type: execution}
    edges:
      - [first.output.*, child.input.x]
      - [first.metadata.loss, child.parameter.loss]
      - [side.output.*, after.input.x]
"""


def _yaml(first: str = "bad", on_error: str | None = None) -> str:
    return YAML.replace("FIRST", first).replace("ON_ERROR", f", on-error: {on_error}" if on_error else "")


@pytest.fixture
def pipeline(project: Callable[..., Path]) -> Callable[..., Path]:
    def make(first: str = "bad", on_error: str | None = None) -> Path:
        return project(_yaml(first, on_error), **{"bad.sh": BAD, "flaky.sh": FLAKY})

    return make


def _messages(outcome: Any) -> dict[str, str]:
    return {e.node: e.message for e in outcome.events if isinstance(e, NodeStateChanged)}


def _log(events: list[Event], node: str) -> list[str]:
    return [e.text for e in events if isinstance(e, LogLine) and e.node == node]


# the plan ---------------------------------------------------------------------------------------
def test_the_plan_carries_each_nodes_on_error(project: Callable[..., Path]) -> None:
    from valohai_yaml import parse

    text = _yaml("bad", "continue").replace(
        "{name: child, step: use, type: execution}",
        "{name: child, step: use, type: execution, on-error: retry}",
    )
    path = project(text)
    plan = plan_pipeline(parse(path.read_text()), "p", path.parent)
    assert plan.on_error == {"first": "continue", "child": "retry", "side": "stop-all", "after": "stop-all"}


# stop-all, stop-next ---------------------------------------------------------------------------
@pytest.mark.docker
def test_stop_all_is_the_default_stops_the_running_sibling_and_skips_the_rest(
    pipeline, run_yaml, home
) -> None:
    t0 = time.monotonic()
    outcome = run_yaml(pipeline(), pipeline="p", params={"first.nap": 1, "side.nap": 60}, concurrency=4)
    assert time.monotonic() - t0 < 40  # side's 60 s sleep was stopped
    assert outcome.status == "failed"
    statuses = outcome.statuses()
    assert statuses == {"first": "failed", "child": "skipped", "side": "cancelled", "after": "skipped"}
    message = "pipeline stopped: node first failed (on-error: stop-all)"
    messages = _messages(outcome)
    assert messages["child"] == messages["after"] == messages["side"] == message
    assert messages["first"] == "exit code 3"
    assert message in _log(outcome.events, "first")
    store = RunStore(home / "runs.sqlite3")
    assert store.run(outcome.run_id)["status"] == "failed"
    assert store.execution(outcome.run_id, "side")["message"] == message


@pytest.mark.docker
def test_stop_next_skips_only_the_descendants(pipeline, run_yaml) -> None:
    outcome = run_yaml(pipeline(on_error="stop-next"), pipeline="p", params={"side.nap": 2}, concurrency=4)
    assert outcome.status == "failed"
    assert outcome.statuses() == {
        "first": "failed",
        "child": "skipped",
        "side": "succeeded",
        "after": "succeeded",
    }
    assert _messages(outcome)["child"] == "upstream node 'first' failed"


# continue ----------------------------------------------------------------------------------------
@pytest.mark.docker
def test_continue_runs_the_child_with_what_the_failed_node_produced(pipeline, run_yaml) -> None:
    outcome = run_yaml(pipeline(on_error="continue"), pipeline="p", concurrency=4)
    assert outcome.status == "failed"  # a failure is never hidden
    statuses = outcome.statuses()
    assert statuses["first"] == "failed" and statuses["child"] == "succeeded"
    assert "got loss=0.25 partial" in _log(outcome.events, "child")


@pytest.mark.docker
def test_continue_with_no_output_fails_the_child_that_needs_it(pipeline, run_yaml) -> None:
    outcome = run_yaml(pipeline(on_error="continue"), pipeline="p", params={"first.write": 0}, concurrency=4)
    assert outcome.status == "failed"
    statuses = outcome.statuses()
    assert statuses["first"] == statuses["child"] == "failed"
    assert _messages(outcome)["child"] == "required input 'x' of node 'child' has no files"


# retry -------------------------------------------------------------------------------------------
@pytest.mark.docker
def test_retry_runs_a_fresh_container_and_keeps_both_attempts(pipeline, run_yaml, home) -> None:
    path = pipeline(first="flaky", on_error="retry")
    outcome = run_yaml(path, pipeline="p", concurrency=4)
    assert outcome.status == "succeeded"  # the retry succeeded: so did the node
    assert set(outcome.statuses().values()) == {"succeeded"}
    assert "got loss=0.5 second" in _log(outcome.events, "child")
    log = _log(outcome.events, "first")
    assert log.count("finished: failed (exit code 1)") == 1 and "retrying (on-error: retry)" in log
    stdout = [
        e.text
        for e in outcome.events
        if isinstance(e, LogLine) and e.node == "first" and e.stream == "stdout"
    ]
    assert stdout == ["first attempt", "second attempt", '{"loss": 0.5}']
    store = RunStore(home / "runs.sqlite3")
    earlier, last = store.execution(outcome.run_id, "first~1"), store.execution(outcome.run_id, "first")
    assert earlier["status"] == "failed" and earlier["exit_code"] == 1
    assert last["status"] == "succeeded" and last["id"] == earlier["id"] + "-2"
    assert [e.status for e in outcome.events if isinstance(e, NodeStateChanged) and e.node == "first"] == [
        "pending",
        "running",
        "running",
        "succeeded",
    ]


@pytest.mark.docker
def test_a_retry_that_fails_too_stops_all(pipeline, run_yaml, home) -> None:
    path = pipeline(first="flaky", on_error="retry")
    outcome = run_yaml(path, pipeline="p", params={"first.code": 4, "side.nap": 60}, concurrency=4)
    assert outcome.status == "failed"
    assert outcome.statuses() == {
        "first": "failed",
        "child": "skipped",
        "side": "cancelled",
        "after": "skipped",
    }
    message = "pipeline stopped: node first failed again (on-error: retry)"
    assert _messages(outcome)["side"] == _messages(outcome)["child"] == message
    store = RunStore(home / "runs.sqlite3")
    assert store.execution(outcome.run_id, "first~1")["exit_code"] == 1
    assert store.execution(outcome.run_id, "first")["exit_code"] == 4
    assert _log(outcome.events, "first").count("retrying (on-error: retry)") == 1


def _start_until(
    path: Path,
    docker_client: Any,
    label: dict[str, str],
    params: dict[str, Any],
    until: Callable[[Event], bool],
) -> tuple[Any, list[Event]]:
    """Start a run of pipeline p and read its events until ``until`` holds."""
    from runner.api import RunOptions, plan_run, start_run

    plan = plan_run(path, pipeline="p", params=params)
    options = RunOptions(image_map=IMAGE_MAP, labels=label, concurrency=4)
    handle = start_run(plan, options, network="none", pull="never", client=docker_client)
    seen: list[Event] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        event = handle.events.get(timeout=60)
        seen.append(event)
        assert not isinstance(event, RunFinished), f"run finished first: {event}"
        if until(event):
            return handle, seen
    handle.cancel()
    raise AssertionError("timed out waiting for an event")


def _running(node: str) -> Callable[[Event], bool]:
    return lambda e: isinstance(e, NodeStateChanged) and e.node == node and e.status == "running"


def _cancel(handle: Any, docker_client: Any) -> list[Event]:
    t0 = time.monotonic()
    handle.cancel()
    assert handle.wait(60) == "cancelled"
    assert time.monotonic() - t0 < 30
    left = docker_client.containers.list(
        all=True, filters={"label": f"pipeline-designer.run-id={handle.run_id}"}
    )
    assert left == []
    return _drain(handle)


@pytest.mark.docker
def test_cancel_during_a_retry(pipeline, docker_client, container_label, home) -> None:
    path = pipeline(first="flaky", on_error="retry")
    retried: list[bool] = []

    def retry_running(event: Event) -> bool:  # the retry's container is running
        if isinstance(event, LogLine) and event.text == "retrying (on-error: retry)":
            retried.append(True)
        return bool(retried) and _running("first")(event)

    handle, seen = _start_until(path, docker_client, container_label, {"first.again": 60}, retry_running)
    events = [*seen, *_cancel(handle, docker_client)]
    statuses = {e.node: e.status for e in events if isinstance(e, NodeStateChanged)}
    assert statuses["first"] == "cancelled" and statuses["child"] == "cancelled"
    assert _log(events, "first").count("retrying (on-error: retry)") == 1  # no second retry
    store = RunStore(home / "runs.sqlite3")
    assert store.execution(handle.run_id, "first~1")["status"] == "failed"
    assert store.execution(handle.run_id, "first")["status"] == "cancelled"


@pytest.mark.docker
def test_a_cancelled_node_is_no_error_no_retry(pipeline, docker_client, container_label, home) -> None:
    path = pipeline(on_error="retry")
    handle, seen = _start_until(path, docker_client, container_label, {"first.nap": 60}, _running("first"))
    events = [*seen, *_cancel(handle, docker_client)]
    assert {e.node: e.status for e in events if isinstance(e, NodeStateChanged)}["first"] == "cancelled"
    log = _log(events, "first")
    assert "retrying (on-error: retry)" not in log and not any("pipeline stopped" in line for line in log)
    assert RunStore(home / "runs.sqlite3").execution(handle.run_id, "first~1") is None


@pytest.mark.docker
def test_a_node_error_action_decides_before_on_error(pipeline, run_yaml, home) -> None:
    path = pipeline(first="flaky", on_error="retry, actions: [{when: node-error, then: stop-pipeline}]")
    outcome = run_yaml(path, pipeline="p", params={"side.nap": 60}, concurrency=4)
    assert outcome.status == "failed"
    assert outcome.statuses() == {
        "first": "failed",
        "child": "skipped",
        "side": "cancelled",
        "after": "skipped",
    }
    assert (
        _messages(outcome)["side"]
        == _messages(outcome)["child"]
        == "pipeline stopped by action of node first"
    )
    assert "retrying (on-error: retry)" not in _log(outcome.events, "first")
    assert RunStore(home / "runs.sqlite3").execution(outcome.run_id, "first~1") is None


def _drain(handle: Any) -> list[Event]:
    out = []
    while not handle.events.empty():
        out.append(handle.events.get())
    return out


TASK_FLAKY = 'case "$VH_EXECUTION_ID" in *-2) echo "{\\"n\\": $1}" ;; *) exit 1 ;; esac\n'
TASK_YAML = """\
- step:
    name: flaky
    image: busybox
    command: sh flaky.sh {parameter-value:n}
    parameters:
      - {name: n, type: integer, default: 1}
- pipeline:
    name: p
    parameters:
      - {name: ns, targets: [t.parameter.n], default: [1, 2]}
    nodes:
      - {name: t, type: task, step: flaky, on-error: retry}
    edges: []
"""


@pytest.mark.docker
def test_a_task_node_is_retried_as_a_whole(project, run_yaml, home) -> None:
    path = project(TASK_YAML, **{"flaky.sh": TASK_FLAKY})
    outcome = run_yaml(path, pipeline="p", concurrency=4)
    assert outcome.status == "succeeded"
    assert outcome.statuses()["t"] == "succeeded"
    store = RunStore(home / "runs.sqlite3")
    rows = {r["node"]: r["status"] for r in store.executions(outcome.run_id)}
    assert rows == {
        "t~1": "failed",
        "t#1~1": "failed",
        "t#2~1": "failed",
        "t": "succeeded",
        "t#1": "succeeded",
        "t#2": "succeeded",
    }
    assert sorted(r["n"] for r in outcome.metadata("t")) == [1, 2]


SWEEP_YAML = """\
- step: {name: bad, image: busybox, command: "sleep 1; exit 3"}
- step:
    name: nap
    image: busybox
    command: sleep {parameter-value:s}
    parameters: [{name: s, type: integer, default: 60}]
- pipeline:
    name: p
    parameters:
      - {name: ss, targets: [sweep.parameter.s], default: [60, 61]}
    nodes:
      - {name: bad, step: bad, type: execution}
      - {name: sweep, step: nap, type: task}
    edges: []
"""


@pytest.mark.docker
def test_stop_all_stops_a_running_task_node_and_its_executions(project, run_yaml) -> None:
    t0 = time.monotonic()
    outcome = run_yaml(project(SWEEP_YAML), pipeline="p", concurrency=4)
    assert time.monotonic() - t0 < 40
    assert outcome.status == "failed"
    message = "pipeline stopped: node bad failed (on-error: stop-all)"
    finals = {(e.node, e.child): e for e in outcome.events if isinstance(e, NodeStateChanged)}
    assert finals["bad", None].status == "failed"
    assert finals["sweep", None].status == "cancelled" and finals["sweep", None].message == message
    for k in (1, 2):
        assert finals["sweep", k].status == "cancelled" and finals["sweep", k].message == message
