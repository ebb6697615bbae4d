"""docs/runtime.md §10: a valohai-utils step runs unchanged, in Docker and outside it, with equal results."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from runner.events import LogLine
from runner.store.db import RunStore

FIXTURE = Path(__file__).parent / "fixtures" / "compat"
EXPECTED_COMMAND = "python compat_check.py --epochs=3 --learning-rate=0.01 --use-gpu --ids=1,2"


@pytest.fixture
def compat_yaml(tmp_path: Path) -> Path:
    dest = tmp_path / "compat"
    shutil.copytree(FIXTURE, dest)
    return dest / "valohai.yaml"


def _result(home: Path, run_id: str, node: str) -> tuple[list[dict], dict[str, str], dict]:
    store = RunStore(home / "runs.sqlite3")
    ex = store.execution(run_id, node)
    records = [{k: v for k, v in r.items() if k != "_time"} for r in store.metadata(ex["id"])]
    assert all("_time" in r for r in store.metadata(ex["id"]))
    outputs = {o["path"]: o["sha256"] for o in store.outputs(ex["id"])}
    return records, outputs, ex


EXPECTED_RECORDS = [
    {
        "epoch": 1,
        "accuracy": 0.9,
        "params": {"epochs": 3, "learning-rate": 0.01, "use-gpu": True, "ids": ["1", "2"]},
    },
    {"check": "ok"},
]


def _check(home: Path, outcome, compat_yaml: Path) -> dict[str, str]:
    assert outcome.status == "succeeded", [e for e in outcome.events if isinstance(e, LogLine)]
    records, outputs, ex = _result(home, outcome.run_id, "compat-check")
    assert records == EXPECTED_RECORDS
    assert EXPECTED_COMMAND in ex["command"].splitlines()
    from runner.store.artifacts import ArtifactStore

    stored = ArtifactStore(home / "artifacts").path_for(outputs["result.txt"])
    assert stored.read_bytes() == (compat_yaml.parent / "dataset.csv").read_bytes()
    return outputs


@pytest.mark.docker
@pytest.mark.parametrize("backend", ["docker", "docker-archive"])
def test_compat_check_in_docker_matches_local_process(
    compat_yaml: Path, run_yaml, home: Path, python_image: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    docker_outcome = run_yaml(compat_yaml, step="compat-check", backend=backend)
    docker_outputs = _check(home, docker_outcome, compat_yaml)
    # the same script outside Docker: the local-process backend with this interpreter's valohai-utils
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    local_outcome = run_yaml(compat_yaml, step="compat-check", backend="local", reuse=False)
    assert _check(home, local_outcome, compat_yaml) == docker_outputs


@pytest.mark.docker
def test_compat_two_node_pipeline(compat_yaml: Path, run_yaml, home: Path, python_image: str) -> None:
    outcome = run_yaml(compat_yaml, pipeline="compat-pipeline")
    assert outcome.status == "succeeded", [e.text for e in outcome.events if isinstance(e, LogLine)]
    records, _outputs, ex = _result(home, outcome.run_id, "next")
    assert records == [{"lr": 0.9, "dataset": "/valohai/inputs/dataset/result.txt"}]
    assert ex["parameters"] == {"learning-rate": 0.9}
    assert "python next_check.py --learning-rate=0.9" in ex["command"]
    lines = [
        e.text for e in outcome.events if isinstance(e, LogLine) and e.node == "next" and e.stream == "stdout"
    ]
    assert lines[-1] == "result.txt"
