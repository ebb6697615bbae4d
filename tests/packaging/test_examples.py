"""The new examples run end to end on the real engine through the `pipeline-designer` CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO

EXAMPLES = REPO / "examples"


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PIPELINE_DESIGNER_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "designer.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
    )


def _run(home: Path, image: str, yaml: Path, pipeline: str) -> tuple[dict[str, dict], str]:
    result = _cli(
        home,
        "run",
        str(yaml),
        "--pipeline",
        pipeline,
        "--network",
        "none",
        "--pull",
        "never",
        "--image-map",
        f"python:3.12-slim={image}",
        "--no-serve",  # a deployment node's endpoint stops once it has answered
    )
    assert result.returncode == 0, result.stdout + result.stderr
    shown = _cli(home, "show", "latest", "--json")
    assert shown.returncode == 0, shown.stderr
    return {e["node"]: e for e in json.loads(shown.stdout)["executions"]}, json.loads(shown.stdout)["run"][
        "id"
    ]


@pytest.mark.parametrize("folder", ["valohai-utils", "tabular-sweep"])
def test_examples_lint_clean(folder: str) -> None:
    result = _cli(Path("/nonexistent"), "lint", str(EXAMPLES / folder / "valohai.yaml"))
    assert result.returncode == 0 and "no problems found" in result.stdout, result.stdout + result.stderr
    assert (EXAMPLES / folder / "README.md").is_file()


@pytest.mark.docker
def test_valohai_utils_example_runs(tmp_path: Path, python_image: str, docker_client) -> None:
    nodes, run_id = _run(
        tmp_path / "home", python_image, EXAMPLES / "valohai-utils" / "valohai.yaml", "utils-pipeline"
    )
    assert {n: e["status"] for n, e in nodes.items()} == {"prepare": "succeeded", "train": "succeeded"}
    assert nodes["prepare"]["last_metadata"] == {"train_rows": 90, "test_rows": 30}
    assert [f["name"] for f in nodes["train"]["inputs"]["train"]] == ["train.csv"]
    assert {o["path"] for o in nodes["train"]["outputs"]} == {"model.json"}
    assert nodes["train"]["last_metadata"]["test_r2"] > 0.9  # the fit really happened
    assert (
        docker_client.containers.list(all=True, filters={"label": f"pipeline-designer.run-id={run_id}"}) == []
    )


@pytest.mark.docker
def test_tabular_sweep_example_sweeps_and_gates_the_release(
    tmp_path: Path, python_image: str, docker_client
) -> None:
    nodes, run_id = _run(
        tmp_path / "home", python_image, EXAMPLES / "tabular-sweep" / "valohai.yaml", "churn-pipeline"
    )
    statuses = {n: e["status"] for n, e in nodes.items()}
    evaluation = nodes["evaluate"]["last_metadata"]
    # the 3 x 2 grid: six executions, each with its own pair, all models reach the evaluation
    children = {n: e for n, e in nodes.items() if n.startswith("train#")}
    assert sorted((e["parameters"]["learning_rate"], e["parameters"]["l2"]) for e in children.values()) == [
        (lr, l2) for lr in (0.03, 0.1, 0.3) for l2 in (0.001, 0.01)
    ]
    assert evaluation["models"] == 6 and evaluation["deploy"] is (evaluation["test_accuracy"] >= 0.7)
    # the evaluation's metadata decides: deployed when approved, else the node action stops the run
    assert statuses == {
        "preprocess": "succeeded",
        "train": "succeeded",
        **dict.fromkeys(children, "succeeded"),
        "evaluate": "succeeded",
        "release": "succeeded" if evaluation["deploy"] else "skipped",
    }
    assert ("approved/model.json" in {o["path"] for o in nodes["evaluate"]["outputs"]}) is evaluation[
        "deploy"
    ]
    assert (
        docker_client.containers.list(all=True, filters={"label": f"pipeline-designer.run-id={run_id}"}) == []
    )


@pytest.mark.docker
def test_tabular_sweep_endpoint_serves_the_approved_model(
    tmp_path: Path, python_image: str, docker_client, container_label
) -> None:
    import urllib.request

    from runner.api import RunOptions, plan_run, start_run
    from runner.events import EndpointReady

    plan = plan_run(EXAMPLES / "tabular-sweep" / "valohai.yaml", pipeline="churn-pipeline")
    options = RunOptions(image_map={"python:3.12-slim": python_image}, labels=container_label)
    home = tmp_path / "home"
    handle = start_run(plan, options, network="none", pull="never", home=home, client=docker_client)
    try:
        assert handle.wait(300) == "succeeded"  # the bundled data trains past min_accuracy
        ready = []
        while not handle.events.empty():
            event = handle.events.get_nowait()
            if isinstance(event, EndpointReady):
                ready.append(event)
        assert [(e.node, e.endpoint) for e in ready] == [("release", "churn-predict")]
        rows = [[2, 110.0, 8, 1], [70, 40.0, 0, 24]]  # tenure, charges, calls, contract
        request = urllib.request.Request(
            ready[0].url, data=json.dumps(rows).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            probabilities = json.loads(response.read())
        assert len(probabilities) == 2 and all(0.0 <= p <= 1.0 for p in probabilities)
        assert probabilities[0] != probabilities[1]  # the trained weights, not a constant
    finally:
        handle.stop_endpoints()
    ((key, value),) = container_label.items()
    assert docker_client.containers.list(all=True, filters={"label": f"{key}={value}"}) == []
