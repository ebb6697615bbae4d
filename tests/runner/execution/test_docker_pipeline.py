"""End-to-end runs on the real Docker engine (busybox test image, network none, never pulled)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from runner.events import LogLine, MetadataRecord, NodeStateChanged, RunFinished
from runner.store.db import RunStore

pytestmark = pytest.mark.docker
BACKENDS = ["docker", "docker-archive"]

TWO_NODES = r"""
- step:
    name: produce
    image: busybox
    command:
      - "echo '{\"accuracy\": 0.5}'"
      - "echo '{\"accuracy\": 0.9, \"loss\": 1}'"
      - ls /valohai/inputs/data
      - cat /valohai/config/parameters.json
      - echo hello > /valohai/outputs/result.txt
      - mkdir -p /valohai/outputs/sub && echo deep > /valohai/outputs/sub/more.csv
      - echo to-stderr >&2
    parameters:
      - {name: msg, type: string, default: "a b"}
    inputs:
      - {name: data, default: data.txt}
- step:
    name: consume
    image: busybox
    command:
      - cat /valohai/inputs/dataset/result.txt
      - ls /valohai/inputs/dataset
      - echo lr={parameter-value:lr}
      - test "$PWD" = /valohai/repository && cat helper.txt
    parameters:
      - {name: lr, type: float, default: 0.1}
    inputs:
      - {name: dataset}
- pipeline:
    name: two
    nodes:
      - {name: a, step: produce, type: execution}
      - {name: b, step: consume, type: execution}
    edges:
      - [a.output.result*, b.input.dataset]
      - [a.metadata.accuracy, b.parameter.lr]
"""


def _lines(outcome, node: str, stream: str = "stdout") -> list[str]:
    return [
        e.text for e in outcome.events if isinstance(e, LogLine) and e.node == node and e.stream == stream
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_nodes_with_output_and_metadata_edges(project, run_yaml, home: Path, backend: str) -> None:
    path = project(TWO_NODES, **{"data.txt": "data\n", "helper.txt": "code is here\n"})
    outcome = run_yaml(path, pipeline="two", backend=backend)
    assert outcome.status == "succeeded", outcome.events
    assert outcome.statuses() == {"a": "succeeded", "b": "succeeded"}
    assert [{k: v for k, v in r.items() if k != "_time"} for r in outcome.metadata("a")] == [
        {"accuracy": 0.5},
        {"accuracy": 0.9, "loss": 1},
    ]
    assert all(r["_time"].endswith("Z") for r in outcome.metadata("a"))
    a_out = _lines(outcome, "a")
    assert "data.txt" in a_out and '  "msg": "a b"' in a_out
    assert _lines(outcome, "a", "stderr") == ["to-stderr"]
    assert _lines(outcome, "b") == ["hello", "result.txt", "lr=0.9", "code is here"]
    # metadata events arrive while the node runs, before its final status
    events = outcome.events
    first_meta = next(i for i, e in enumerate(events) if isinstance(e, MetadataRecord))
    assert first_meta < events.index(outcome.node_event("a", "succeeded"))
    store = RunStore(home / "runs.sqlite3")
    a = store.execution(outcome.run_id, "a")
    outputs = {o["path"]: o for o in store.outputs(a["id"])}
    assert sorted(outputs) == ["result.txt", "sub/more.csv"] and outputs["result.txt"]["size"] == 6
    b = store.execution(outcome.run_id, "b")
    assert b["parameters"] == {"lr": 0.9}
    assert b["inputs"]["dataset"][0]["sha256"] == outputs["result.txt"]["sha256"]
    assert store.run(outcome.run_id)["status"] == "succeeded"
    log = Path(a["log_path"]).read_text()
    assert " stdout hello" not in log and " stderr to-stderr" in log and " runner finished: succeeded" in log


FAIL_SKIP = """
- step: {name: bad, image: busybox, command: "echo going down; exit 3"}
- step: {name: ok, image: busybox, command: "echo fine", inputs: [{name: in, optional: true}]}
- pipeline:
    name: p
    nodes:
      - {name: a, step: bad, type: execution}
      - {name: b, step: ok, type: execution}
      - {name: c, step: ok, type: execution}
      - {name: x, step: ok, type: execution}
      - {name: y, step: ok, type: execution}
    edges:
      - [a.output.*, b.input.in]
      - [b.output.*, c.input.in]
      - [x.output.*, y.input.in]
"""


def test_failure_skips_descendants_and_the_rest_goes_on(project, run_yaml, home: Path) -> None:
    text = FAIL_SKIP.replace('command: "echo fine"', 'command: "echo fine > /valohai/outputs/f"')
    text = text.replace(
        "{name: a, step: bad, type: execution}", "{name: a, step: bad, type: execution, on-error: stop-next}"
    )
    outcome = run_yaml(project(text), pipeline="p")
    assert outcome.status == "failed"
    assert outcome.statuses() == {
        "a": "failed",
        "b": "skipped",
        "c": "skipped",
        "x": "succeeded",
        "y": "succeeded",
    }
    failed = outcome.node_event("a", "failed")
    assert failed.exit_code == 3 and failed.message == "exit code 3"
    store = RunStore(home / "runs.sqlite3")
    assert store.execution(outcome.run_id, "c")["status"] == "skipped"


def test_default_join_uses_last_exit_code_and_strict_stops(project, run_yaml) -> None:
    path = project('- step: {name: s, image: busybox, command: ["false", "echo after"]}\n')
    lenient = run_yaml(path, step="s")
    assert lenient.status == "succeeded" and _lines(lenient, "s") == ["after"]
    strict = run_yaml(path, step="s", strict=True, reuse=False)
    assert strict.status == "failed" and _lines(strict, "s") == []


def test_injection_reaches_the_program_as_one_argument(project, run_yaml) -> None:
    path = project(
        """
        - step:
            name: s
            image: busybox
            command:
              - printf '<%s>\\n' {parameters}
              - test ! -e /tmp/pwned
            parameters:
              - {name: s, type: string}
        """
    )
    evil = 'x"; touch /tmp/pwned; echo "'
    outcome = run_yaml(path, step="s", params={"s": evil})
    assert outcome.status == "succeeded"
    assert _lines(outcome, "s") == [f"<--s={evil}>"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_symlink_output_is_refused_with_a_warning(project, run_yaml, home: Path, backend: str) -> None:
    path = project(
        """
        - step:
            name: s
            image: busybox
            command:
              - ln -s /etc/passwd /valohai/outputs/x
              - echo ok > /valohai/outputs/ok.txt
        """
    )
    outcome = run_yaml(path, step="s", backend=backend)
    assert outcome.status == "succeeded"
    warnings = [t for t in _lines(outcome, "s", "runner") if t.startswith("warning")]
    assert len(warnings) == 1 and "'x' refused" in warnings[0] and "symbolic link" in warnings[0]
    store = RunStore(home / "runs.sqlite3")
    ex = store.execution(outcome.run_id, "s")
    assert [o["path"] for o in store.outputs(ex["id"])] == ["ok.txt"]


def test_missing_required_input_fails_before_any_container(project, run_yaml, docker_client) -> None:
    path = project("- step: {name: s, image: busybox, command: 'echo hi', inputs: [{name: dataset}]}\n")
    since = time.time() - 1
    outcome = run_yaml(path, step="s")
    assert outcome.status == "failed"
    failed = outcome.node_event("s", "failed")
    assert "required input 'dataset'" in failed.message
    assert "running" not in [e.status for e in outcome.events if isinstance(e, NodeStateChanged)]
    created = list(
        docker_client.events(
            since=int(since),
            until=int(time.time()) + 1,
            decode=True,
            filters={
                "type": "container",
                "event": "create",
                "label": f"pipeline-designer.run-id={outcome.run_id}",
            },
        )
    )
    assert created == []


def test_unknown_image_fails_with_a_clear_message(project, run_yaml) -> None:
    path = project("- step: {name: s, image: pipeline-designer-test/nope:0, command: 'echo hi'}\n")
    outcome = run_yaml(path, step="s")
    assert outcome.status == "failed"
    assert "is not on the Docker engine and pulling is off" in outcome.node_event("s", "failed").message


def test_reuse_starts_zero_containers_and_no_reuse_forces(
    project, run_yaml, docker_client, home: Path
) -> None:
    path = project(TWO_NODES, **{"data.txt": "data\n", "helper.txt": "x\n"})
    first = run_yaml(path, pipeline="two")
    assert first.status == "succeeded"
    since = time.time()
    second = run_yaml(path, pipeline="two")
    until = time.time() + 1
    assert second.status == "succeeded"
    assert second.statuses() == {"a": "reused", "b": "reused"}
    created = list(
        docker_client.events(
            since=int(since),
            until=int(until),
            decode=True,
            filters={
                "type": "container",
                "event": "create",
                "label": f"pipeline-designer.run-id={second.run_id}",
            },
        )
    )
    assert created == []
    store = RunStore(home / "runs.sqlite3")
    reused = store.execution(second.run_id, "a")
    assert reused["reused_from"] == store.execution(first.run_id, "a")["id"]
    assert [o["path"] for o in store.outputs(reused["id"])] == ["result.txt", "sub/more.csv"]
    assert store.metadata(reused["id"])[-1]["accuracy"] == 0.9
    # live subscribers get the reused node's metadata too (plots of a reused node are not empty)
    live = [e.record for e in second.events if isinstance(e, MetadataRecord) and e.node == "a"]
    assert live and live[-1]["accuracy"] == 0.9
    # a changed parameter re-runs that node (and its descendant, whose input is unchanged: reused)
    third = run_yaml(path, pipeline="two", params={"a.msg": "changed"})
    assert third.statuses() == {"a": "succeeded", "b": "reused"}
    forced = run_yaml(path, pipeline="two", reuse=False)
    assert forced.statuses() == {"a": "succeeded", "b": "succeeded"}
    # an edited code file changes the code hash: no reuse
    (path.parent / "helper.txt").write_text("y\n")
    assert run_yaml(path, pipeline="two").statuses() == {"a": "succeeded", "b": "succeeded"}


def test_time_limit_and_no_output_timeout(project, run_yaml) -> None:
    path = project(
        """
        - step: {name: slow, image: busybox, command: "echo start; sleep 30", time-limit: 2}
        - step: {name: quiet, image: busybox, command: "echo start; sleep 30", no-output-timeout: 2}
        - pipeline:
            name: p
            nodes:
              - {name: slow, step: slow, type: execution, on-error: stop-next}
              - {name: quiet, step: quiet, type: execution, on-error: stop-next}
            edges: []
        """
    )
    t0 = time.monotonic()
    outcome = run_yaml(path, pipeline="p")
    assert time.monotonic() - t0 < 12
    assert outcome.statuses() == {"slow": "failed", "quiet": "failed"}
    assert "time limit of 2 s exceeded" in outcome.node_event("slow", "failed").message
    assert "no output for 2 s" in outcome.node_event("quiet", "failed").message


@pytest.mark.parametrize("backend", BACKENDS)
def test_cancel_stops_running_containers_within_5s(
    project, home, docker_client, container_label, backend
) -> None:
    from runner.api import RunOptions, plan_run, start_run

    path = project(
        """
        - step:
            name: sleepy
            image: busybox
            command: "echo started; sleep 60"
            inputs: [{name: x, optional: true}]
        - pipeline:
            name: p
            nodes:
              - {name: a, step: sleepy, type: execution}
              - {name: b, step: sleepy, type: execution}
              - {name: after, step: sleepy, type: execution}
            edges: [[a.output.*, after.input.x]]
        """
    )
    plan = plan_run(path, pipeline="p")
    handle = start_run(
        plan,
        RunOptions(image_map={"busybox": "pipeline-designer-test/busybox:1"}, labels=container_label),
        backend=backend,
        network="none",
        pull="never",
        client=docker_client,
    )
    started: set[str] = set()
    while len(started) < 2:
        event = handle.events.get(timeout=30)
        if isinstance(event, LogLine) and event.text == "started":
            started.add(event.node)
    t0 = time.monotonic()
    handle.cancel()
    assert handle.wait(10) == "cancelled"
    assert time.monotonic() - t0 < 5
    statuses = {}
    while not handle.events.empty():
        event = handle.events.get()
        if isinstance(event, RunFinished):
            statuses = event.node_statuses
    assert statuses == {"a": "cancelled", "b": "cancelled", "after": "cancelled"}
    left = docker_client.containers.list(
        all=True, filters={"label": f"pipeline-designer.run-id={handle.run_id}"}
    )
    assert left == []


def test_concurrency_one_runs_nodes_one_at_a_time(project, run_yaml) -> None:
    path = project(
        """
        - step: {name: s, image: busybox, command: "sleep 0.3"}
        - pipeline:
            name: p
            nodes: [{name: a, step: s, type: execution}, {name: b, step: s, type: execution},
                    {name: c, step: s, type: execution}]
            edges: []
        """
    )
    outcome = run_yaml(path, pipeline="p", concurrency=1)
    running = 0
    peak = 0
    for e in outcome.events:
        if isinstance(e, NodeStateChanged) and e.status == "running":
            running += 1
            peak = max(peak, running)
        elif isinstance(e, NodeStateChanged) and e.status == "succeeded":
            running -= 1
    assert outcome.status == "succeeded" and peak == 1


def test_edge_into_an_undeclared_input_is_a_plan_error(project) -> None:
    from runner.api import plan_run
    from runner.execution.plan import PlanError

    with pytest.raises(PlanError, match="node 'b' has no input 'nope'"):
        plan_run(project(FAIL_SKIP.replace("b.input.in", "b.input.nope")), pipeline="p")


def test_rebuilt_image_under_the_same_tag_is_not_reused(
    project, run_yaml, docker_client, python_image
) -> None:
    import uuid

    tag = f"pipeline-designer-test/retag-{uuid.uuid4().hex[:8]}:1"
    path = project(f"- step: {{name: s, image: {tag}, command: 'echo hi'}}\n")
    try:
        docker_client.images.get("pipeline-designer-test/busybox:1").tag(tag)
        assert run_yaml(path, step="s").status == "succeeded"
        assert run_yaml(path, step="s").statuses() == {"s": "reused"}
        docker_client.images.get(python_image).tag(tag)  # "rebuilt": same name, new image id
        assert run_yaml(path, step="s").statuses() == {"s": "succeeded"}
    finally:
        docker_client.images.remove(tag, noprune=True)
