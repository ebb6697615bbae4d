"""The shipped examples pipeline, end to end on the real engine through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import cli
from tests.support.paths import REPO

pytestmark = pytest.mark.docker
EXAMPLES = REPO / "examples" / "valohai.yaml"


def test_examples_training_pipeline(home: Path, python_image: str, docker_client) -> None:
    if not EXAMPLES.is_file():
        pytest.fail("examples/valohai.yaml is missing")
    code, text = cli(
        "run",
        str(EXAMPLES),
        "--pipeline",
        "training-pipeline",
        "--network",
        "none",
        "--pull",
        "never",
        "--image-map",
        f"python:3.12-slim={python_image}",
        "--param",
        "train.epoch_delay=0",
    )
    assert code == 0, text
    code, text = cli("show", "latest", "--json")
    shown = json.loads(text)
    by_node = {e["node"]: e for e in shown["executions"]}
    assert {n: e["status"] for n, e in by_node.items()} == {
        "preprocess": "succeeded",
        "train": "succeeded",
        "evaluate": "succeeded",
    }
    assert {o["path"] for o in by_node["preprocess"]["outputs"]} >= {"train.csv", "test.csv"}
    assert any(o["path"].startswith("model") for o in by_node["train"]["outputs"])
    train_acc = by_node["train"]["last_metadata"]["accuracy"]
    assert by_node["evaluate"]["parameters"]["train_accuracy"] == train_acc
    assert [f["name"] for f in by_node["evaluate"]["inputs"]["test"]] == ["test.csv"]
    run_id = shown["run"]["id"]
    assert (
        docker_client.containers.list(all=True, filters={"label": f"pipeline-designer.run-id={run_id}"}) == []
    )
    # unchanged re-run: everything reused
    code, text = cli(
        "run",
        str(EXAMPLES),
        "--pipeline",
        "training-pipeline",
        "--network",
        "none",
        "--pull",
        "never",
        "--image-map",
        f"python:3.12-slim={python_image}",
        "--param",
        "train.epoch_delay=0",
    )
    assert code == 0 and text.count("reused") >= 3, text
