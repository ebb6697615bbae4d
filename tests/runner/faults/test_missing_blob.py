"""A stored file gone from the artifact store (deleted by hand, a disk error): ``outputs`` copies
the others and names the missing one with the runs that lose it; Run this node in the designer
offers to re-run the upstream node instead of failing."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from designer.bridge.history import RunHistory
from designer.bridge.partial_plans import MissingUpstream, subset_plan
from runner.api import plan_run
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore
from runner.store.paths import HOME_ENV

PIPELINE = """\
- step: {name: make, image: busybox, command: "echo > /valohai/outputs/f0.txt"}
- step:
    name: use
    image: busybox
    command: ls /valohai/inputs/files
    inputs: [{name: files}]
- pipeline:
    name: p
    nodes:
      - {name: make, type: execution, step: make}
      - {name: use, type: execution, step: use}
    edges: [[make.output.*, use.input.files]]
"""


@pytest.fixture
def stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project):
    """Runs r1 and r2 of pipeline p: node make wrote 22 files each, f7.txt the same in both; f7 is gone."""
    home = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(home))
    yaml = project(PIPELINE)
    store, artifacts = RunStore(home / "runs.sqlite3"), ArtifactStore(home / "artifacts")
    for k, run_id in enumerate(("r1", "r2")):
        store.create_run(run_id, pipeline="p", yaml_path=str(yaml), started=1000.0 + k, status="succeeded")
        store.upsert_execution(f"{run_id}-make", run_id=run_id, node="make", status="succeeded")
        files = {f"f{i}.txt": f"{run_id} {i}".encode() if i != 7 else b"shared" for i in range(22)}
        outs = [
            {"path": n, "sha256": artifacts.put_stream(io.BytesIO(d))[0], "size": len(d)}
            for n, d in files.items()
        ]
        store.add_outputs(f"{run_id}-make", outs)
    gone = next(o["sha256"] for o in store.outputs("r1-make") if o["path"] == "f7.txt")
    artifacts.path_for(gone).unlink()
    yield home, yaml, store, artifacts, gone
    store.close()


def test_outputs_copies_the_others_and_names_the_missing_file_and_the_runs_that_lose_it(
    stored, tmp_path: Path
) -> None:
    from designer.cli import main

    _home, _yaml, _store, _artifacts, gone = stored
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["outputs", "r1/make", "--to", str(tmp_path / "got")])
    assert code == 1
    assert out.getvalue() == f"copied 21 of 22 output(s) to {tmp_path / 'got'}\n"
    assert sorted(p.name for p in (tmp_path / "got").iterdir()) == sorted(
        f"f{i}.txt" for i in range(22) if i != 7
    )
    assert (
        f"error: f7.txt: the stored file {gone} is missing from the artifact store; runs that lose it: r1, r2"
        in (err.getvalue())
    )
    assert "Traceback" not in err.getvalue()


def test_run_this_node_reruns_an_upstream_whose_output_is_gone(stored, tmp_path: Path) -> None:
    home, yaml, _store, _artifacts, _gone = stored
    plan = plan_run(yaml, pipeline="p")
    with pytest.raises(MissingUpstream) as caught:
        subset_plan(plan, {"use"}, RunHistory(home), tmp_path / "staging")
    assert caught.value.nodes == ["make"]
    assert "output f7.txt of make's last run is no longer stored: run them first" in str(caught.value)
