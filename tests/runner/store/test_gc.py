"""``pipeline-designer gc`` on a real store and artifact folder: which runs go, which files go
with them, what is never touched (a run in progress, a blob another run uses), ``--dry-run``
and ``--verify``."""

from __future__ import annotations

import contextlib
import io
import os
import time
from pathlib import Path

import pytest

from runner.store import gc as collector
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore
from runner.store.paths import HOME_ENV

DAY = 86400.0


def _cli(*args: str) -> tuple[int, str]:
    from designer.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


def _seed_run(
    store: RunStore,
    artifacts: ArtifactStore,
    home: Path,
    run_id: str,
    pipeline: str,
    started: float,
    **files: bytes,
) -> dict[str, str]:
    """A finished run with one execution whose outputs are ``files``, a metric and a log."""
    store.create_run(
        run_id, pipeline=pipeline, yaml_path="/w/valohai.yaml", started=started, status="succeeded"
    )
    execution = f"{run_id}-train"
    store.upsert_execution(execution, run_id=run_id, node="train", status="succeeded")
    shas = {name: artifacts.put_stream(io.BytesIO(data))[0] for name, data in files.items()}
    store.add_outputs(execution, [{"path": n, "sha256": s, "size": len(files[n])} for n, s in shas.items()])
    store.add_metadata(execution, 0, started, {"loss": 0.5})
    (home / "logs" / run_id).mkdir(parents=True)
    (home / "logs" / run_id / "train.log").write_text("hello\n")
    return shas


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Pipeline a: a1 (40 days old), a2 (20), a3 (new); pipeline b: b1 (40). a1 and a3 share a file."""
    home = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(home))
    store, artifacts = RunStore(home / "runs.sqlite3"), ArtifactStore(home / "artifacts")
    now = time.time()
    shas = {
        "a1": _seed_run(store, artifacts, home, "a1", "a", now - 40 * DAY, shared=b"same", own=b"a1 only"),
        "a2": _seed_run(store, artifacts, home, "a2", "a", now - 20 * DAY, own=b"a2 only"),
        "a3": _seed_run(store, artifacts, home, "a3", "a", now - 60, shared=b"same"),
        "b1": _seed_run(store, artifacts, home, "b1", "b", now - 40 * DAY, own=b"b1 only"),
    }
    time.sleep(0.05)  # everything above is older than the sweep (file times are coarse)
    monkeypatch.setattr(collector, "SLACK", 0.0)
    yield home, store, artifacts, shas
    store.close()


def _runs(store: RunStore) -> list[str]:
    return sorted(r["id"] for r in store.run_rows())


def test_keep_last_per_pipeline_deletes_the_runs_and_only_the_files_no_other_run_uses(seeded) -> None:
    home, store, artifacts, shas = seeded
    code, text = _cli("gc", "--keep-last", "1", "--dry-run")
    assert code == 0
    assert "would delete 2 runs: a2, a1" in text
    assert "would remove 2 stored files no remaining run uses" in text and "2 log or work folders" in text
    assert _runs(store) == ["a1", "a2", "a3", "b1"] and artifacts.has(shas["a1"]["own"])  # nothing yet
    code, text = _cli("gc", "--keep-last", "1")
    assert code == 0 and "deleted 2 runs: a2, a1" in text and "freed " in text
    assert _runs(store) == ["a3", "b1"]
    assert not artifacts.has(shas["a1"]["own"]) and not artifacts.has(shas["a2"]["own"])
    assert artifacts.has(shas["a1"]["shared"])  # a3 still uses it
    assert artifacts.has(shas["b1"]["own"])
    assert not (home / "logs" / "a1").exists() and (home / "logs" / "a3").is_dir()
    for table in ("executions", "outputs", "metadata", "metric_blocks"):
        column = "run_id" if table == "executions" else "execution_id"
        left = store._query(f"SELECT {column} AS owner FROM {table}")
        assert not [r for r in left if r["owner"].startswith(("a1", "a2"))], table
    assert store._query("PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    assert _cli("gc", "--verify") == (0, "checked 2 stored files (0.0 KB)\nevery stored file is intact\n")


def test_older_than_and_one_run_by_id(seeded, capsys: pytest.CaptureFixture[str]) -> None:
    _home, store, _artifacts, _shas = seeded
    code, text = _cli("gc", "--older-than", "30")
    assert code == 0 and "deleted 2 runs: a1, b1" in text
    assert _cli("gc", "--run", "a2")[0] == 0
    assert _runs(store) == ["a3"]
    capsys.readouterr()
    assert _cli("gc", "--run", "nope")[0] == 1
    assert "no run 'nope'" in capsys.readouterr().err


def test_a_run_in_progress_and_what_it_stored_since_it_started_are_kept(seeded, capsys) -> None:
    _home, store, artifacts, shas = seeded
    stray = artifacts.put_stream(io.BytesIO(b"left by a killed run"))[0]
    (artifacts.root / "tmp" / "killed-mid-copy").write_bytes(b"x" * 1000)
    time.sleep(0.05)
    store.create_run("live", pipeline="a", yaml_path="/w/valohai.yaml", started=time.time())  # this process
    time.sleep(0.05)
    fresh = artifacts.put_stream(io.BytesIO(b"stored by the live run, not recorded yet"))[0]
    (artifacts.root / "tmp" / "being-written").write_bytes(b"y")
    assert artifacts.claim(shas["a1"]["own"])  # the live run is about to reuse a1's output
    code, text = _cli("gc", "--keep-last", "0")
    assert code == 0 and "kept run live: it is in progress" in text
    assert _runs(store) == ["live"]
    assert not artifacts.has(stray) and not (artifacts.root / "tmp" / "killed-mid-copy").exists()
    assert artifacts.has(fresh) and (artifacts.root / "tmp" / "being-written").exists()
    assert artifacts.has(shas["a1"]["own"])  # claimed after the run started: kept
    assert not artifacts.has(shas["a2"]["own"])
    capsys.readouterr()
    assert _cli("gc", "--run", "live")[0] == 1
    assert "run live is in progress: stop it first" in capsys.readouterr().err


def test_verify_names_damaged_and_missing_files_and_the_runs_that_lose_them(seeded) -> None:
    _home, _store, artifacts, shas = seeded
    damaged = artifacts.path_for(shas["a2"]["own"])
    os.chmod(damaged, 0o644)
    damaged.write_bytes(b"bit rot")
    artifacts.path_for(shas["b1"]["own"]).unlink()
    code, text = _cli("gc", "--verify")
    assert code == 1
    why = "its content does not match its hash; moved to damaged/"
    assert f"damaged: {shas['a2']['own']} ({why}): used by run a2" in text
    assert f"missing: {shas['b1']['own']}: used by run b1" in text
    assert not artifacts.has(shas["a2"]["own"])  # no run reuses the damaged copy
    assert len(list((artifacts.root / "damaged").iterdir())) == 1
