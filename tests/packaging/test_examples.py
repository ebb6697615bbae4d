"""The new examples run end to end on the real engine through the `pipeline-designer` CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
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
def test_tabular_sweep_example_runs(tmp_path: Path, python_image: str, docker_client) -> None:
    nodes, run_id = _run(
        tmp_path / "home", python_image, EXAMPLES / "tabular-sweep" / "valohai.yaml", "churn-pipeline"
    )
    statuses = {n: e["status"] for n, e in nodes.items()}
    # the task node runs as one execution for now; the deployment node is skipped
    assert statuses == {
        "preprocess": "succeeded",
        "train": "succeeded",
        "evaluate": "succeeded",
        "release": "skipped",
    }
    evaluation = nodes["evaluate"]["last_metadata"]
    assert evaluation["models"] == 1 and evaluation["deploy"] is (evaluation["test_accuracy"] >= 0.7)
    assert ("approved/model.json" in {o["path"] for o in nodes["evaluate"]["outputs"]}) is evaluation[
        "deploy"
    ]
    assert (
        docker_client.containers.list(all=True, filters={"label": f"pipeline-designer.run-id={run_id}"}) == []
    )
