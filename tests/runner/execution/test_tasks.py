"""Task nodes (parameter sweeps) on the real Docker engine: expansion, parallel children,
downstream union, list spreading, on-child-error, stop-condition, reuse, cancel."""

from __future__ import annotations

import itertools
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from runner.events import LogLine, MetadataRecord, NodeStateChanged, TaskExpanded, TaskProgress
from runner.store.db import RunStore
from tests.support.cli import cli

# The step prints its parameters.json on one line: a metadata record of exactly its parameters.
TRAIN = r"""
- step:
    name: train
    image: busybox
    command:
      - tr -d '\n' < /valohai/config/parameters.json; echo
      - sleep {parameter-value:wait}
      - echo {parameter-value:lr}-{parameter-value:opt} > /valohai/outputs/model.txt
      - exit {parameter-value:code}
    parameters:
      - {name: lr, type: float, default: 0.1}
      - {name: opt, type: string, default: sgd}
      - {name: wait, type: float, default: 0}
      - {name: code, type: integer, default: 0}
- step:
    name: collect
    image: busybox
    command:
      - ls /valohai/inputs/models
      - cat /valohai/inputs/models/*
      - echo 'lrs={parameter-value:lrs}'
    parameters:
      - {name: lrs, type: float, multiple: separate, optional: true}
    inputs:
      - {name: models}
"""


def children_events(outcome: Any, node: str, kind: type = NodeStateChanged) -> list[Any]:
    return [e for e in outcome.events if isinstance(e, kind) and e.node == node and e.child is not None]


def node_event(outcome: Any, node: str, status: str) -> NodeStateChanged:
    """The task node's own state change (not a child's)."""
    return next(
        e
        for e in outcome.events
        if isinstance(e, NodeStateChanged) and e.node == node and e.status == status and e.child is None
    )


def params_printed(outcome: Any, node: str) -> dict[int, dict[str, Any]]:
    """Each child's first metadata record (its parameters.json), by child index."""
    out: dict[int, dict[str, Any]] = {}
    for e in children_events(outcome, node, MetadataRecord):
        out.setdefault(e.child, {k: v for k, v in e.record.items() if k != "_time"})
    return out


def stdout(outcome: Any, node: str) -> list[str]:
    return [
        e.text for e in outcome.events if isinstance(e, LogLine) and e.node == node and e.stream == "stdout"
    ]


GRID = (
    TRAIN
    + """
- task:
    name: sweep
    step: train
    parameters:
      - {name: lr, style: multiple, rules: {items: [0.1, 0.01, 0.001]}}
      - {name: opt, style: multiple, rules: {items: [sgd, adam]}}
- pipeline:
    name: grid
    nodes:
      - name: train
        type: task
        task: sweep
        override:
          parameters:
            - {name: wait, default: 1}
      - {name: collect, step: collect, type: execution}
    edges:
      - [train.output.model.txt, collect.input.models]
"""
)


@pytest.mark.docker
def test_grid_task_runs_six_children_in_parallel_and_hands_on_all_outputs(
    project, run_yaml, home: Path
) -> None:
    outcome = run_yaml(project(GRID), pipeline="grid", concurrency=3)
    assert outcome.status == "succeeded", outcome.events
    pairs = [(lr, opt) for lr in (0.1, 0.01, 0.001) for opt in ("sgd", "adam")]
    expanded = next(e for e in outcome.events if isinstance(e, TaskExpanded))
    assert [(c["lr"], c["opt"]) for c in expanded.children] == pairs
    printed = params_printed(outcome, "train")
    assert sorted(printed) == [1, 2, 3, 4, 5, 6]
    assert [(printed[k]["lr"], printed[k]["opt"]) for k in range(1, 7)] == pairs
    assert all(printed[k]["wait"] == 1 and printed[k]["code"] == 0 for k in printed)
    done = [e for e in children_events(outcome, "train") if e.status == "succeeded"]
    assert sorted(e.child for e in done) == [1, 2, 3, 4, 5, 6]
    assert node_event(outcome, "train", "succeeded").message == "6 ok, 0 failed"
    progress = [e for e in outcome.events if isinstance(e, TaskProgress)]
    assert progress[-1].total == 6 and progress[-1].succeeded == 6 and progress[-1].running == 0
    assert max(p.running for p in progress) == 3  # the run's concurrency, never more

    store = RunStore(home / "runs.sqlite3")
    rows = {r["node"]: r for r in store.executions(outcome.run_id)}
    assert {f"train#{k}" for k in range(1, 7)} <= set(rows) and rows["train"]["status"] == "succeeded"
    spans = sorted((rows[f"train#{k}"]["started"], rows[f"train#{k}"]["ended"]) for k in range(1, 7))
    assert any(b[0] < a[1] for a, b in itertools.pairwise(spans)), spans  # overlapping in time
    assert rows["train#4"]["parameters"] == {"lr": 0.01, "opt": "adam", "wait": 1.0, "code": 0}
    assert len(store.outputs(rows["train"]["id"])) == 6  # the task row lists the union
    store.close()
    listed = stdout(outcome, "collect")
    assert listed[:6] == [f"model-{k}.txt" for k in range(1, 7)]
    assert sorted(listed[6:12]) == sorted(f"{lr}-{opt}" for lr, opt in pairs)
    renamed = [e.text for e in outcome.events if isinstance(e, LogLine) and "renamed" in e.text]
    assert renamed and "model.txt" in renamed[0]


SPREAD = (
    TRAIN
    + """
- step:
    name: produce
    image: busybox
    command:
      - 'echo ''{"lrs": [0.5, 0.25]}'''
- pipeline:
    name: spread
    parameters:
      - {name: opts, targets: [train.parameter.opt], default: [sgd, adam, rms]}
    nodes:
      - {name: produce, step: produce, type: execution}
      - {name: train, step: train, type: task}
      - {name: collect, step: collect, type: execution}
    edges:
      - [produce.metadata.lrs, train.parameter.lr]
      - [train.output.model.txt, collect.input.models]
      - [train.metadata.lr, collect.parameter.lrs]
"""
)


@pytest.mark.docker
def test_step_task_spreads_a_metadata_list_and_a_list_pipeline_parameter(project, run_yaml) -> None:
    outcome = run_yaml(project(SPREAD), pipeline="spread", concurrency=4)
    assert outcome.status == "succeeded", outcome.events
    printed = params_printed(outcome, "train")
    got = sorted((p["lr"], p["opt"]) for p in printed.values())
    assert got == sorted((lr, opt) for lr in (0.5, 0.25) for opt in ("sgd", "adam", "rms"))
    # a metadata edge from a task node delivers the list of its children's latest values
    lrs_line = next(line for line in stdout(outcome, "collect") if line.startswith("lrs="))
    assert lrs_line == f"lrs={[printed[k]['lr'] for k in sorted(printed)]}"


RANDOM = (
    TRAIN
    + """
- task:
    name: rnd
    step: train
    type: random_search
    execution-count: 3
    parameters:
      - {name: lr, style: random, rules: {min: 0.001, max: 0.1, seed: 7}}
- pipeline:
    name: rnd
    nodes:
      - {name: train, task: rnd, type: task}
    edges: []
"""
)


@pytest.mark.docker
def test_random_search_with_a_seed_is_reproducible(project, run_yaml) -> None:
    path = project(RANDOM)
    first = run_yaml(path, pipeline="rnd", reuse=False)
    second = run_yaml(path, pipeline="rnd", reuse=False)
    assert first.status == second.status == "succeeded"
    values = [sorted(p["lr"] for p in params_printed(o, "train").values()) for o in (first, second)]
    assert values[0] == values[1] and len(set(values[0])) == 3
    assert all(0.001 <= v <= 0.1 for v in values[0])


MANUAL = (
    TRAIN
    + """
- task:
    name: sets
    step: train
    type: manual_search
    parameter-sets:
      - {lr: 0.3, opt: a}
      - {lr: 0.7, opt: b}
- pipeline:
    name: manual
    nodes:
      - {name: train, task: sets, type: task}
    edges: []
"""
)


@pytest.mark.docker
def test_manual_search_runs_one_child_per_set(project, run_yaml) -> None:
    outcome = run_yaml(project(MANUAL), pipeline="manual")
    assert outcome.status == "succeeded"
    printed = params_printed(outcome, "train")
    assert [(printed[k]["lr"], printed[k]["opt"]) for k in (1, 2)] == [(0.3, "a"), (0.7, "b")]


FAILING = (
    TRAIN
    + """
- task:
    name: codes
    step: train
    on-child-error: POLICY
    parameters:
      - {name: code, style: multiple, rules: {items: [0, 3, 0]}}
- pipeline:
    name: codes
    nodes:
      - {name: train, task: codes, type: task}
      - {name: collect, step: collect, type: execution}
    edges:
      - [train.output.model.txt, collect.input.models]
"""
)


@pytest.mark.docker
@pytest.mark.parametrize(
    ("policy", "node", "children", "downstream"),
    [
        ("continue-and-error", "failed", ["succeeded", "failed", "succeeded"], "skipped"),
        ("continue-and-complete", "succeeded", ["succeeded", "failed", "succeeded"], "succeeded"),
        ("stop-all-and-error", "failed", ["succeeded", "failed", None], "skipped"),
    ],
)
def test_on_child_error(project, run_yaml, policy: str, node: str, children: list, downstream: str) -> None:
    # concurrency 1: the children run in order, so "the rest" after a failure is known
    # (no reuse: children 1 and 3 are the same execution)
    path = project(FAILING.replace("POLICY", policy))
    outcome = run_yaml(path, pipeline="codes", concurrency=1, reuse=False)
    finals = {e.child: e.status for e in children_events(outcome, "train") if e.status != "running"}
    assert [finals.get(k) for k in (1, 2, 3)] == children
    assert outcome.statuses() == {"train": node, "collect": downstream}
    assert outcome.status == ("succeeded" if node == "succeeded" else "failed")
    if downstream == "succeeded":  # the successful children's outputs (same name: renamed)
        assert stdout(outcome, "collect")[:2] == ["model-1.txt", "model-3.txt"]


STOP = (
    TRAIN
    + """
- task:
    name: until
    step: train
    stop-condition: metadata.lr >= 2
    parameters:
      - {name: lr, style: multiple, rules: {items: [1, 2, 3, 4]}}
- pipeline:
    name: until
    nodes:
      - {name: train, task: until, type: task}
    edges: []
"""
)


@pytest.mark.docker
def test_stop_condition_starts_no_more_children(project, run_yaml) -> None:
    outcome = run_yaml(project(STOP), pipeline="until", concurrency=1)
    assert outcome.status == "succeeded", outcome.events
    started = sorted({e.child for e in children_events(outcome, "train") if e.status == "running"})
    assert started == [1, 2]
    final = node_event(outcome, "train", "succeeded")
    assert "stop-condition 'metadata.lr >= 2' met by execution 2" in final.message


@pytest.mark.docker
def test_children_are_reused_on_a_second_run(project, run_yaml) -> None:
    path = project(MANUAL)
    first = run_yaml(path, pipeline="manual")
    second = run_yaml(path, pipeline="manual")
    assert first.status == second.status == "succeeded"
    reused = {e.child: e.reused_from for e in children_events(second, "train") if e.status == "reused"}
    assert sorted(reused) == [1, 2] and all(reused.values())
    assert node_event(second, "train", "succeeded").message == "2 ok, 0 failed"


SLOW = (
    TRAIN
    + """
- task:
    name: slow
    step: train
    parameters:
      - {name: wait, style: multiple, rules: {items: [60, 61, 62, 63]}}
- pipeline:
    name: slow
    nodes:
      - {name: train, task: slow, type: task}
    edges: []
"""
)


@pytest.mark.docker
def test_cancel_mid_task_stops_every_container(project, home: Path, docker_client, container_label) -> None:
    from runner.api import RunOptions, plan_run, start_run

    running: set[int] = set()
    three = threading.Event()

    def on_event(event: Any) -> None:
        if isinstance(event, NodeStateChanged) and event.child and event.status == "running":
            running.add(event.child)
            if len(running) == 3:
                three.set()

    plan = plan_run(project(SLOW), pipeline="slow")
    options = RunOptions(
        image_map={"busybox": "pipeline-designer-test/busybox:1"},
        labels=container_label,
        concurrency=3,
        grace=0.5,
    )
    handle = start_run(plan, options, network="none", pull="never", client=docker_client, on_event=on_event)
    assert three.wait(60), "three children never ran"
    label = "{}={}".format(*next(iter(container_label.items())))
    assert len(docker_client.containers.list(filters={"label": label})) == 3
    t0 = time.monotonic()
    handle.cancel()
    assert handle.wait(60) == "cancelled"
    assert time.monotonic() - t0 < 30
    assert docker_client.containers.list(all=True, filters={"label": label}) == []
    assert running == {1, 2, 3}  # the fourth never started
    store = RunStore(home / "runs.sqlite3")
    rows = {r["node"]: r["status"] for r in store.executions(handle.run_id)}
    store.close()
    assert rows == {
        "train": "cancelled",
        "train#1": "cancelled",
        "train#2": "cancelled",
        "train#3": "cancelled",
    }


@pytest.mark.docker
def test_cli_shows_task_progress_and_children_rows(project, home: Path, monkeypatch, container_label) -> None:
    monkeypatch.setenv("PIPELINE_DESIGNER_IMAGE_MAP", "busybox=pipeline-designer-test/busybox:1")
    code, text = cli("run", str(project(MANUAL)), "-p", "manual", "--network", "none", "--pull", "never")
    assert code == 0, text
    assert "train#1: succeeded" in text and "train#2: succeeded" in text
    assert "train  succeeded 2/2 (2 ok, 0 failed)" in text
    code, text = cli("show", "latest", "--json")
    rows = json.loads(text)["executions"]
    assert [r["node"] for r in rows] == ["train", "train#1", "train#2"]
    assert rows[2]["parameters"]["lr"] == 0.7 and rows[2]["last_metadata"]["opt"] == "b"
    assert len(rows[0]["outputs"]) == 2  # the task row: both children's model.txt, renamed
    code, text = cli("show", "latest/train#1")
    assert code == 0 and "train#1 (train): succeeded" in text
    # a list on the command line into a task node's pipeline parameter: one execution per item
    spread = project(SPREAD.replace("default: [sgd, adam, rms]", "default: [sgd]"))
    code, text = cli("run", str(spread), "-p", "spread", "--param", "opts=[adam, rms]", "--network", "none")
    assert code == 0, text
    code, text = cli("show", "latest", "--json")
    rows = json.loads(text)["executions"]
    got = sorted(
        (r["parameters"]["lr"], r["parameters"]["opt"]) for r in rows if r["node"].startswith("train#")
    )
    assert got == sorted((lr, opt) for lr in (0.5, 0.25) for opt in ("adam", "rms"))


ACTIONS = (
    TRAIN
    + """
- pipeline:
    name: acts
    parameters:
      - {name: lrs, targets: [train.parameter.lr], default: [0.25, 0.75]}
    nodes:
      - name: train
        type: task
        step: train
        actions:
          - {when: node-complete, if: 'metadata.lr > 0.5', then: stop-pipeline}
      - {name: collect, step: collect, type: execution}
    edges:
      - [train.output.model.txt, collect.input.models]
"""
)


@pytest.mark.docker
def test_task_node_actions_see_the_children_metadata(project, run_yaml) -> None:
    # concurrency 1: execution 2 (lr 0.75) finishes last, so metadata.lr is 0.75
    outcome = run_yaml(project(ACTIONS), pipeline="acts", concurrency=1)
    assert outcome.status == "stopped", outcome.events
    assert outcome.statuses() == {"train": "succeeded", "collect": "skipped"}


@pytest.mark.docker
def test_task_node_starting_action_sees_step_defaults(project, run_yaml) -> None:
    # `opt` is set nowhere but in the step (default sgd): the condition must still see it
    text = ACTIONS.replace(
        "{when: node-complete, if: 'metadata.lr > 0.5', then: stop-pipeline}",
        "{when: node-starting, if: 'parameter.opt == \"sgd\"', then: stop-pipeline}",
    )
    outcome = run_yaml(project(text), pipeline="acts")
    assert outcome.status == "stopped", outcome.events
    assert not children_events(outcome, "train")  # stopped before any execution started


# Host placement (multi-host runs) with a fake backend: no engine needed ------------------------
class _PlacedFake:
    """Every execution runs for a few polls; records how many ran at once on each host."""

    name = "fake"
    isolated = True

    def __init__(self, placer: Any) -> None:
        self.placer = placer
        self.live: dict[str, set[str]] = {}
        self.peak: dict[str, int] = {}
        self.polls: dict[str, int] = {}

    def launch(self, spec: Any, wakeup: threading.Event | None = None) -> Any:
        from runner.execution.backend import Handle

        live = self.live.setdefault(spec.host, set())
        live.add(spec.node)
        self.peak[spec.host] = max(self.peak.get(spec.host, 0), len(live))
        return Handle(spec, wakeup=wakeup)

    def poll(self, handle: Any) -> Any:
        from runner.execution.backend import poll_handle

        node = handle.spec.node
        self.polls[node] = self.polls.get(node, 0) + 1
        if self.polls[node] == 3:
            self.live[handle.spec.host].discard(node)
            handle.finish(0)
        return poll_handle(handle)

    def terminate(self, handle: Any, grace: float = 2.0) -> None:
        handle.finish(137)

    def collect(self, handle: Any, artifacts: Any, warn: Any) -> list[Any]:
        return []

    def cleanup(self, handle: Any) -> None:
        pass


PLACED = """
- step:
    name: s
    image: img
    command: run
    parameters: [{name: n, type: integer, default: 0}]
- step:
    name: g
    image: img
    command: run
    parameters: [{name: n, type: integer, default: 0}]
    resources: {devices: {nvidia.com/gpu: 1}}
- task:
    name: five
    step: s
    parameters: [{name: n, style: linear, rules: {start: 1, end: 5, step: 1}}]
- task:
    name: gpus
    step: g
    parameters: [{name: n, style: multiple, rules: {items: [1, 2]}}]
- pipeline:
    name: p
    nodes:
      - {name: cpu, task: five, type: task}
      - {name: gpu, task: gpus, type: task, on-error: stop-next}
    edges: []
"""


def test_children_are_placed_one_by_one_within_host_limits(tmp_path: Path) -> None:
    import valohai_yaml

    from runner.execution.executor import Executor, RunOptions
    from runner.execution.placement import Placer, Slot
    from runner.execution.plan import plan_pipeline
    from runner.store.artifacts import ArtifactStore

    (tmp_path / "code").mkdir()
    plan = plan_pipeline(valohai_yaml.parse(PLACED), "p", tmp_path / "code")
    backend = _PlacedFake(Placer([Slot("big", 2), Slot("small", 1)]))
    events: list[Any] = []
    store = RunStore(tmp_path / "runs.sqlite3")
    ex = Executor(
        plan,
        backend,
        store,
        ArtifactStore(tmp_path / "a"),
        tmp_path,
        RunOptions(concurrency=16),
        events.append,
    )
    assert ex.run() == "failed"  # the GPU task: no host has a GPU
    done = {
        e.child: e.status for e in events if isinstance(e, NodeStateChanged) and e.node == "cpu" and e.child
    }
    assert done == dict.fromkeys(range(1, 6), "succeeded")
    assert backend.peak == {"big": 2, "small": 1}  # both hosts used, never over their max-parallel
    rows = {r["node"]: r for r in store.executions(ex.run_id)}
    assert {rows[f"cpu#{k}"]["host"] for k in range(1, 6)} == {"big", "small"}
    gpu = [e for e in events if isinstance(e, NodeStateChanged) and e.node == "gpu" and e.status == "failed"]
    assert sorted(e.child or 0 for e in gpu) == [0, 1, 2]
    assert "cannot be placed: needs 1 GPU(s)" in next(e.message for e in gpu if e.child == 1)
    store.close()


def test_maximum_queued_executions_caps_a_task(tmp_path: Path) -> None:
    import valohai_yaml

    from runner.execution.executor import Executor, RunOptions
    from runner.execution.placement import Placer, Slot
    from runner.execution.plan import plan_pipeline
    from runner.store.artifacts import ArtifactStore

    text = PLACED.replace("    name: five\n", "    name: five\n    maximum-queued-executions: 2\n")
    text = text.replace("      - {name: gpu, task: gpus, type: task, on-error: stop-next}\n", "")
    (tmp_path / "code").mkdir()
    plan = plan_pipeline(valohai_yaml.parse(text), "p", tmp_path / "code")
    backend = _PlacedFake(Placer([Slot("h", 16)]))
    store = RunStore(tmp_path / "runs.sqlite3")
    ex = Executor(plan, backend, store, ArtifactStore(tmp_path / "a"), tmp_path, RunOptions(concurrency=16))
    assert ex.run() == "succeeded"
    assert backend.peak == {"h": 2} and len(backend.polls) == 5
    store.close()
