"""A full disk (a real small tmpfs as the data folder): the node fails saying where, how much
and what to do; a partial output never enters the artifact store; the store stays consistent
and the next run works."""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from runner.store import space
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore
from runner.store.health import StoreFull
from runner.store.space import DiskFull
from tests.support.paths import REPO
from tests.support.runner_process import runner_env, running_containers

FILL = """\
- step:
    name: fill
    image: busybox
    command:
      - dd if=/dev/zero of=/valohai/outputs/big.bin bs=1M count=40
      - echo written
- step:
    name: after
    image: busybox
    command: ls /valohai/inputs/big
    inputs:
      - name: big
- step:
    name: small
    image: busybox
    command: echo hello > /valohai/outputs/hello.txt
- pipeline:
    name: fill
    nodes:
      - {name: fill, type: execution, step: fill}
      - {name: after, type: execution, step: after}
    edges:
      - [fill.output.big.bin, after.input.big]
- pipeline:
    name: small
    nodes:
      - {name: small, type: execution, step: small}
    edges: []
"""


def _run(home: Path, yaml: Path, pipeline: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "designer.cli", "run", str(yaml), "--pipeline", pipeline]
    cmd += ["--pull", "never", "--network", "none"]
    return subprocess.run(cmd, cwd=REPO, env=runner_env(home), capture_output=True, text=True, timeout=120)


def failed_for_lack_of_space(home: Path, done: subprocess.CompletedProcess[str]) -> str:
    """What a user relies on after a run of FILL's ``fill`` pipeline on the small disk ``home`` is
    on: a clear failure, no partial output anywhere, a consistent store. Returns the run's id."""
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert "Traceback" not in said and "database or disk is full" not in said
    store = RunStore(home / "runs.sqlite3")
    try:
        run = store.runs(1)[0]
        nodes = {e["node"]: e for e in store.executions(run["id"])}
        assert run["status"] == "failed"
        assert nodes["fill"]["status"] == "failed"
        message = nodes["fill"]["message"]
        assert message.startswith(f"no space left on {home.parent} (tmpfs): "), message
        assert message.endswith("MB free; free space with `pipeline-designer gc`")
        assert nodes["after"]["status"] in ("skipped", "cancelled")
        assert store.outputs(nodes["fill"]["id"]) == []
        assert store._query("PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    finally:
        store.close()
    blobs = [p for p in (home / "artifacts" / "sha256").rglob("*") if p.is_file()]
    assert all(p.stat().st_size < 1 << 20 for p in blobs)  # the YAML and code only
    assert list((home / "artifacts" / "tmp").iterdir()) == []
    return str(run["id"])


def _fill(folder: Path) -> None:
    with open(folder / "filler", "wb") as fh, pytest.raises(OSError):
        while True:
            fh.write(b"\0" * (1 << 20))
            fh.flush()


@pytest.mark.docker
def test_a_full_disk_fails_the_node_with_what_to_do_and_keeps_nothing_partial(
    small_disk, docker_client, busybox_image, project
) -> None:
    home = small_disk(24) / "home"
    yaml = project(FILL)
    run_id = failed_for_lack_of_space(home, _run(home, yaml, "fill"))
    assert running_containers(docker_client, run_id) == []
    # The partial output went with the work dir: the next run has room and succeeds.
    again = _run(home, yaml, "small")
    assert again.returncode == 0, again.stdout + again.stderr


def test_a_stream_that_fills_the_disk_leaves_no_partial_file(small_disk) -> None:
    artifacts = ArtifactStore(small_disk(4) / "artifacts")
    with pytest.raises(DiskFull) as caught:
        artifacts.put_stream(io.BytesIO(b"x" * (8 << 20)))
    assert str(caught.value).startswith("no space left on ")
    assert list((artifacts.root / "tmp").iterdir()) == []


def test_a_store_on_a_full_disk_says_so_instead_of_a_sqlite_error(small_disk) -> None:
    disk = small_disk(4)
    store = RunStore(disk / "runs.sqlite3")
    store.create_run("r1", started=1.0)
    _fill(disk)
    try:
        with pytest.raises(StoreFull) as caught:
            for seq in range(10_000):
                store.add_metadata("e1", seq, 1.0, {"loss": "x" * 1000})
        assert "free space with `pipeline-designer gc`" in str(caught.value)
        assert not isinstance(caught.value, sqlite3.Error)
        (disk / "filler").unlink()
        store.finish_run("r1", "failed", 2.0)  # room again: the same connection goes on
        assert store.run("r1")["status"] == "failed"
    finally:
        store.close()


def test_run_on_a_full_disk_says_so_before_starting_anything(small_disk, project) -> None:
    disk = small_disk(4)
    _fill(disk)
    done = _run(disk / "home", project(FILL), "small")
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"error: no space left on {disk} (tmpfs): " in done.stderr
    assert "Traceback" not in done.stderr


def test_gc_frees_a_disk_too_full_for_the_store_to_record_anything(small_disk, monkeypatch) -> None:
    """A runner killed mid-collection left a big temp file and its run unmarked; the disk is so
    full that SQLite cannot write: gc still frees it (files first), then deletes the runs."""
    import contextlib

    from designer.cli import main
    from runner.store import gc as collector
    from runner.store.paths import HOME_ENV

    home = small_disk(8) / "home"
    monkeypatch.setenv(HOME_ENV, str(home))
    store = RunStore(home / "runs.sqlite3")
    ArtifactStore(home / "artifacts")
    dead = subprocess.Popen(["true"])  # a pid that no longer runs: the killed runner's
    dead.wait()
    store.create_run("killed", pipeline="p", started=1.0)
    store._db.execute("UPDATE runs SET pid=?, pid_start=NULL WHERE id='killed'", (dead.pid,))
    store.create_run("old", pipeline="p", started=2.0, status="succeeded")
    store.close()
    (home / "work" / "killed").mkdir(parents=True)
    _fill(home / "artifacts" / "tmp")
    monkeypatch.setattr(collector, "SLACK", 0.0)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(["gc", "--keep-last", "0"]) == 0
    assert "the disk was too full to open the run store; removed 7." in err.getvalue()
    assert "deleted 2 runs: old, killed" in out.getvalue() and "1 log or work folder" in out.getvalue()
    assert list((home / "artifacts" / "tmp").iterdir()) == [] and not (home / "work" / "killed").exists()
    assert space.free_bytes(home) > 4 << 20
