"""A real run with a failed Python node, for the debug views (terminal, failure view)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from runner.store.paths import HOME_ENV

PIPELINE = """\
- step:
    name: prepare
    image: python:3.12-slim
    command: python3 prepare.py
- step:
    name: train
    image: python:3.12-slim
    command: python3 train.py {parameters}
    parameters:
      - {name: epochs, type: integer, default: 3}
    inputs:
      - {name: rows}
- pipeline:
    name: p
    nodes:
      - {name: prep, step: prepare, type: execution}
      - {name: train, step: train, type: execution}
    edges:
      - [prep.output.rows.csv, train.input.rows]
"""
PREPARE = 'open("/valohai/outputs/rows.csv", "w").write("a,b\\n1,2\\n")\n'
TRAIN = """\
import json
from model import fit


def main():
    rows = open("/valohai/inputs/rows/rows.csv").read().splitlines()
    print(json.dumps({"rows": len(rows)}))
    fit(rows, width=3)


main()
"""
MODEL = """\
def fit(rows, width):
    widths = [len(r.split(",")) for r in rows]
    if widths[0] != width:
        raise ValueError(f"rows have {widths[0]} columns, the model wants {width}:\\n  header {rows[0]!r}")
"""


@dataclass
class FailedRun:
    home: Path
    project: Path
    run_id: str


@pytest.fixture
def failed_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, docker_client: Any, python_image: str,
    container_label: dict[str, str],
) -> Iterator[FailedRun]:  # fmt: skip
    from runner.api import RunOptions, plan_run, start_run

    home = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(home))
    project = tmp_path / "project"
    project.mkdir()
    for name, text in (("prepare.py", PREPARE), ("train.py", TRAIN), ("model.py", MODEL)):
        (project / name).write_text(text)
    (project / "valohai.yaml").write_text(textwrap.dedent(PIPELINE))
    plan = plan_run(project / "valohai.yaml", pipeline="p")
    options = RunOptions(image_map={"python:3.12-slim": python_image}, labels=container_label)
    handle = start_run(plan, options, network="none", pull="never", client=docker_client, home=home)
    assert handle.wait(120) == "failed"
    yield FailedRun(home, project, handle.run_id)
