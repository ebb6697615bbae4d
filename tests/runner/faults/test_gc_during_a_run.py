"""gc while a real run goes on (another process writing the same store and artifact folder):
the run in progress, its files and the files it reuses are kept, and it ends as it would have."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import pytest

from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore
from tests.support.images import BUSYBOX
from tests.support.runner_process import runner_process

pytestmark = pytest.mark.docker

PIPELINE = f"""\
- step:
    name: make
    image: {BUSYBOX}
    command: echo made > /valohai/outputs/made.txt
- step:
    name: slow
    image: {BUSYBOX}
    command:
      - echo started
      - sleep 3
      - cat /valohai/inputs/made/made.txt > /valohai/outputs/copy.txt
    inputs:
      - name: made
- pipeline:
    name: p
    nodes:
      - {{name: make, type: execution, step: make}}
      - {{name: slow, type: execution, step: slow}}
    edges:
      - [make.output.made.txt, slow.input.made]
"""


def _gc(*args: str) -> str:
    """gc in this process (the ``home`` fixture's data folder), beside the runner's process."""
    from designer.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["gc", *args]) == 0
    return out.getvalue()


def test_gc_while_a_run_writes_keeps_the_run_and_everything_it_uses(project: Any, home: Path) -> None:
    yaml = str(project(PIPELINE))
    with runner_process(home, yaml, "--step", "make") as first:
        assert first.proc.wait(60) == 0, first.proc.communicate()
    with runner_process(home, yaml, "--pipeline", "p") as second:  # make reuses the first run's
        run_id = second.run_id()  # slow is running
        said = _gc("--keep-last", "0")
        assert f"kept run {run_id}: it is in progress" in said and "deleted 1 run" in said
        out, err = second.proc.communicate(timeout=60)
        assert second.proc.returncode == 0, out + err
    store, artifacts = RunStore(home / "runs.sqlite3"), ArtifactStore(home / "artifacts")
    try:
        assert [r["id"] for r in store.run_rows()] == [run_id]
        copy = store.outputs(store.execution(run_id, "slow")["id"])
        made = store.outputs(store.execution(run_id, "make")["id"])  # the reused output
        assert [o["path"] for o in copy] == ["copy.txt"] and [o["path"] for o in made] == ["made.txt"]
        assert all(artifacts.has(o["sha256"]) for o in copy + made)
    finally:
        store.close()
    assert "0 stored files" in _gc()  # nothing the remaining run uses goes afterwards either
    assert _gc("--verify").endswith("every stored file is intact\n")
