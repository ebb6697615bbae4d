"""The store's schema versions: an old store upgrades without loss, a newer one is refused untouched."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from runner.events import GpuFigures, SystemSample
from runner.store import schema
from runner.store.db import RunStore
from runner.store.schema import LATEST, Migration, StoreVersionError
from tests.runner.store.metric_series import series_from_json, series_of

FIXTURE = Path(__file__).parent / "fixtures" / "store-v0" / "runs.sqlite3"
OLD_TABLES = ("runs", "executions", "outputs", "metadata")


def _rows(path: Path, table: str, columns: list[str] | None = None) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        cols = ", ".join(columns) if columns else "*"
        return sorted(db.execute(f"SELECT {cols} FROM {table}").fetchall(), key=repr)


def _columns(path: Path, table: str) -> list[str]:
    with sqlite3.connect(path) as db:
        return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    path = tmp_path / "runs.sqlite3"
    shutil.copyfile(FIXTURE, path)
    return path


def test_store_written_before_versions_opens_and_keeps_every_row(old_store: Path) -> None:
    before = {t: (_columns(old_store, t), _rows(old_store, t)) for t in OLD_TABLES}
    assert all(rows for _cols, rows in before.values()), "the fixture holds rows of every table"
    store = RunStore(old_store)
    store.close()
    with sqlite3.connect(old_store) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == LATEST
    for table, (cols, rows) in before.items():
        assert _rows(old_store, table, cols) == rows, f"{table} rows changed"


def test_upgraded_store_answers_every_query_on_old_rows(old_store: Path) -> None:
    store = RunStore(old_store)
    try:
        runs = store.runs(limit=100)
        assert len(runs) == 5 and all(r["tags"] == [] for r in runs)
        sweep = next(r for r in runs if r["pipeline"] == "churn-pipeline")
        nodes = {e["node"] for e in store.executions(sweep["id"])}
        assert {"train#1", "train#6", "evaluate"} <= nodes
        first = runs[-1]
        train = store.execution(first["id"], "train")
        assert train is not None and train["parameters"]["epochs"] == 5
        assert any(r["epoch"] == 5 for r in store.metadata(train["id"]))
        model = next(o for o in store.outputs(train["id"]) if o["path"] == "model.npz")
        # lineage works on old rows: migration 3 indexed their inputs by content
        evaluate = store.execution(first["id"], "evaluate")
        assert evaluate is not None
        consumers = {c["id"] for c in store.consumers(model["sha256"])}
        assert evaluate["id"] in consumers
        # the new run columns are usable on old runs
        assert store.set_run_tags(first["id"], ["baseline", " v0 ", ""]) == ["baseline", "v0"]
        store.set_run_note(first["id"], "written before versions existed")
        assert store.run(first["id"])["note"] == "written before versions existed"
        assert [r["id"] for r in store.runs(tag="baseline")] == [first["id"]]
        # migration 5: system samples, apart from the metadata, on old executions too
        assert store.system_samples(train["id"]) == [] and store.gpu_note(train["id"]) == ""
        gpu = GpuFigures("1", 87.0, 30567 << 20, 81559 << 20)
        samples = [SystemSample(1.0, None, 4096, 1 << 30, (gpu,)), SystemSample(2.0, 99.5, 8192, 1 << 30)]
        store.add_system_samples(train["id"], 0, samples, "nvidia-smi is not installed on host 'x'")
        assert store.system_samples(train["id"]) == samples
        assert store.gpu_note(train["id"]).startswith("nvidia-smi is not installed")
        assert any(r["epoch"] == 5 for r in store.metadata(train["id"]))
    finally:
        store.close()


def test_upgraded_store_indexes_old_records_by_key(old_store: Path) -> None:
    """Migration 6 indexes records written before it: each key's series is what the JSON says."""
    store = RunStore(old_store)
    try:
        with sqlite3.connect(old_store) as db:
            executions = [r[0] for r in db.execute("SELECT DISTINCT execution_id FROM metadata")]
        assert executions
        for execution_id in executions:
            assert series_of(store.metric_series(execution_id)) == series_from_json(
                store.metadata(execution_id)
            )
    finally:
        store.close()


def test_newer_store_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite3"
    RunStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {LATEST + 1}")
        db.execute("INSERT INTO runs (id, status, started) VALUES ('r1', 'succeeded', 1.0)")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(StoreVersionError) as err:
        RunStore(path)
    text = str(err.value)
    assert str(path) in text and f"schema {LATEST + 1}" in text and f"up to {LATEST}" in text
    assert "not changed" in text
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_cli_on_a_newer_store_says_so_without_a_traceback(tmp_path: Path) -> None:
    home = tmp_path / "home"
    RunStore(home / "runs.sqlite3").close()
    with sqlite3.connect(home / "runs.sqlite3") as db:
        db.execute(f"PRAGMA user_version = {LATEST + 7}")
    proc = subprocess.run(
        [sys.executable, "-m", "designer.cli", "history"],
        capture_output=True,
        text=True,
        env={"PIPELINE_DESIGNER_HOME": str(home), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert proc.returncode == 2
    assert "newer version of Pipeline Designer" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_failing_migration_leaves_the_store_as_it_was(
    old_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _rows(old_store, "runs")

    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, Migration(LATEST + 1, "broken", broken)))
    monkeypatch.setattr(schema, "LATEST", LATEST + 1)
    with pytest.raises(RuntimeError, match="disk on fire"):
        RunStore(old_store)
    with sqlite3.connect(old_store) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 0
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "half_done" not in tables and "run_tags" not in tables
    assert _rows(old_store, "runs") == before


def test_two_openers_of_an_old_store_upgrade_it_once(old_store: Path) -> None:
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            RunStore(old_store).close()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(_rows(old_store, "execution_inputs")) > 0


def test_migrations_are_numbered_one_by_one() -> None:
    assert [m.version for m in schema.MIGRATIONS] == list(range(1, LATEST + 1))
