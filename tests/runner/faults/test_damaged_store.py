"""Real damaged run stores (truncated, overwritten with garbage, emptied, pages destroyed in the
middle): every command says which file, that the run store is damaged and what to do, never a
traceback, and ``run`` does not take it for a Docker problem; ``store repair`` salvages what
SQLite can read into a fresh store and keeps the damaged file aside."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runner.store.db import RunStore
from runner.store.paths import HOME_ENV
from tests.support.paths import REPO
from tests.support.runner_process import runner_env

PAGE = 4096
RUNS = 30


@pytest.fixture(scope="module")
def good_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A healthy store of 30 runs (one execution each, 20 outputs, 60 metric records), checkpointed."""
    path = tmp_path_factory.mktemp("good") / "runs.sqlite3"
    store = RunStore(path)
    for i in range(RUNS):
        run_id, execution = f"r{i:02d}", f"r{i:02d}-train"
        store.create_run(
            run_id, pipeline="p", yaml_path="/w/valohai.yaml", started=1000.0 + i, status="succeeded"
        )
        store.upsert_execution(
            execution, run_id=run_id, node="train", status="succeeded", parameters={"i": i}
        )
        store.add_metadata_batch(
            execution, [(k, 1.0 + k, {"loss": 1 / (k + 1), "pad": "x" * 200}) for k in range(60)]
        )
        files = [{"path": f"o{j}.txt", "sha256": f"{i * 100 + j:064x}", "size": 1} for j in range(20)]
        store.add_outputs(execution, files)
    store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


def _damage(data: bytes, how: str) -> bytes:
    if how == "truncated":
        return data[: len(data) * 3 // 10]
    if how == "garbage":
        return os.urandom(len(data))
    if how == "empty":
        return b""
    pages = bytearray(data)  # "pages": a run of pages in the middle destroyed
    middle = len(data) // PAGE // 2
    pages[middle * PAGE : (middle + 8) * PAGE] = b"\xff" * 8 * PAGE
    return bytes(pages)


@pytest.fixture
def damaged_home(tmp_path: Path, good_store: Path, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path / "home"
    (home / "logs" / "r00").mkdir(parents=True)  # past runs' logs: an emptied store is not a new one
    monkeypatch.setenv(HOME_ENV, str(home))

    def make(how: str) -> Path:
        (home / "runs.sqlite3").write_bytes(_damage(good_store.read_bytes(), how))
        return home

    return make


def _cli(*args: str) -> tuple[int, str, str]:
    from designer.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("how", ["truncated", "garbage", "empty", "pages"])
def test_every_reading_command_says_the_store_is_damaged_and_what_to_do(damaged_home, how: str) -> None:
    home = damaged_home(how)
    said = []
    for command in (
        ["history", "--limit", "100"],
        ["show", "r15"],
        ["metrics", "r15/train"],
        ["gc", "--dry-run"],
    ):
        code, _out, err = _cli(*command)
        assert "Traceback" not in err and "DatabaseError" not in err
        if code != 0:
            assert code == 2, err
            said.append(err)
    assert said, f"{how}: no command noticed the damage"  # a damaged page may lie outside some reads
    for err in said:
        assert f"{home / 'runs.sqlite3'}: the run store is damaged (" in err
        assert "`pipeline-designer store repair`" in err and "Keep a copy of the file" in err


def test_run_on_a_damaged_store_says_so_not_that_docker_is_unreachable(damaged_home, project) -> None:
    home = damaged_home("garbage")
    yaml = project("- step: {name: a, image: busybox, command: echo hi}\n")
    done = subprocess.run(
        [sys.executable, "-m", "designer.cli", "run", str(yaml), "--step", "a", "--pull", "never"],
        cwd=REPO,
        env=runner_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "the run store is damaged" in done.stderr and "store repair" in done.stderr
    assert "Docker" not in done.stderr and "engine" not in done.stderr and "Traceback" not in done.stderr


def test_repair_salvages_what_can_be_read_and_keeps_the_damaged_file(damaged_home) -> None:
    home = damaged_home("pages")
    damaged = (home / "runs.sqlite3").read_bytes()
    assert _cli("store", "check")[0] == 1
    code, out, _err = _cli("store", "repair")
    assert code == 0 and out.startswith(f"salvaged {RUNS} runs, {RUNS} executions, ")
    assert "could not be read and are lost" in out
    aside = [
        p
        for p in home.iterdir()
        if p.name.startswith("runs.sqlite3.damaged-") and not p.name.endswith(("-wal", "-shm"))
    ]
    assert len(aside) == 1 and aside[0].read_bytes() == damaged and f"kept as {aside[0]}" in out
    assert _cli("store", "check")[:2] == (0, f"{home / 'runs.sqlite3'}: intact\n")
    code, out, _err = _cli("history", "--limit", "100")
    assert code == 0 and len(out.splitlines()) == RUNS
    store = RunStore(home / "runs.sqlite3")
    try:
        with_records = [r["execution_id"] for r in store._query("SELECT DISTINCT execution_id FROM metadata")]
        assert with_records and all(
            store.last_metric_values(e)["loss"] for e in with_records
        )  # index rebuilt
    finally:
        store.close()
    assert _cli("store", "repair") == (
        0,
        f"{home / 'runs.sqlite3'}: intact, nothing to repair (--force rebuilds it anyway)\n",
        "",
    )


@pytest.mark.parametrize("how", ["garbage", "empty"])
def test_repair_of_an_unreadable_store_starts_a_fresh_one(damaged_home, how: str) -> None:
    home = damaged_home(how)
    code, out, _err = _cli("store", "repair")
    assert code == 0 and "the damaged file is kept as" in out
    assert [p.name[:21] for p in home.glob("runs.sqlite3.damaged-*")] == ["runs.sqlite3.damaged-"]
    if how == "garbage":
        assert out.startswith("nothing could be read of the damaged store (file is not a database)")
    assert _cli("history")[:2] == (0, "")
