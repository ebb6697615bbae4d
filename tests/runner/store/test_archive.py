"""A run archive from elsewhere is checked before anything is added: every blob against its name,
every entry's path; a run already here is not overwritten."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from runner.store.archive import TOP, ArchiveError, export_run, import_run
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore


def _home(root: Path) -> tuple[RunStore, ArtifactStore]:
    return RunStore(root / "runs.sqlite3"), ArtifactStore(root / "artifacts")


def _seed(tmp_path: Path) -> tuple[RunStore, ArtifactStore, Path]:
    store, artifacts = _home(tmp_path / "a")
    src = tmp_path / "model.bin"
    src.write_bytes(b"weights")
    sha, size = artifacts.put_file(src)
    store.create_run("r1", pipeline="p", started=1.0, status="succeeded")
    store.upsert_execution("r1-x", run_id="r1", node="train", status="succeeded", parameters={"lr": 0.1})
    store.add_outputs("r1-x", [{"path": "model.bin", "sha256": sha, "size": size}])
    store.add_metadata("r1-x", 0, 1.0, {"loss": 0.5})
    archive = tmp_path / "r1.tar"
    export_run(store, artifacts, "r1", archive, "test")
    return store, artifacts, archive


def _rewrite(src: Path, dest: Path, change: dict[str, bytes | None]) -> None:
    """Copy an archive, replacing (or adding, or with None dropping) some members."""
    with tarfile.open(src) as old, tarfile.open(dest, "w") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read() if member.isfile() else b""  # type: ignore[union-attr]
            if member.name in change:
                if change[member.name] is None:
                    continue
                data = change.pop(member.name)  # type: ignore[assignment]
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))
        for name, data in change.items():
            info = tarfile.TarInfo(name)
            info.size = len(data or b"")
            new.addfile(info, io.BytesIO(data or b""))


def test_round_trip_keeps_rows_and_metrics(tmp_path: Path) -> None:
    _store, _a, archive = _seed(tmp_path)
    store, artifacts = _home(tmp_path / "b")
    assert import_run(store, artifacts, archive, tmp_path / "b" / "logs") == "r1"
    assert store.execution("r1", "train")["parameters"] == {"lr": 0.1}
    assert store.metadata("r1-x") == [{"loss": 0.5}]
    assert store.last_metric_values("r1-x") == {"loss": 0.5}  # the numeric index is rebuilt here
    assert import_run(store, artifacts, archive, tmp_path / "b" / "logs") == "r1"  # again: nothing new


def test_a_damaged_blob_or_a_strange_entry_imports_nothing(tmp_path: Path) -> None:
    _store, artifacts_a, archive = _seed(tmp_path)
    blob = next(p for p in (artifacts_a.root / "sha256").rglob("*") if p.is_file())
    damaged = tmp_path / "damaged.tar"
    _rewrite(archive, damaged, {f"{TOP}/blobs/{blob.name}": b"tampered"})
    store, artifacts = _home(tmp_path / "b")
    with pytest.raises(ArchiveError, match="damaged"):
        import_run(store, artifacts, damaged, tmp_path / "b" / "logs")
    assert store.run("r1") is None
    escaping = tmp_path / "escaping.tar"
    _rewrite(archive, escaping, {f"{TOP}/logs/../../../evil.log": b"x"})
    with pytest.raises(ArchiveError, match="unexpected entry"):
        import_run(store, artifacts, escaping, tmp_path / "b" / "logs")
    assert store.run("r1") is None and not (tmp_path / "evil.log").exists()


def test_a_different_run_with_the_same_id_is_not_overwritten(tmp_path: Path) -> None:
    _store, _a, archive = _seed(tmp_path)
    store, artifacts = _home(tmp_path / "b")
    store.create_run("r1", pipeline="mine", started=99.0, status="failed")
    with pytest.raises(ArchiveError, match="already has a different run r1"):
        import_run(store, artifacts, archive, tmp_path / "b" / "logs")
    assert store.run("r1")["pipeline"] == "mine"
