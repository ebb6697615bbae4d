"""A run's code set: hashed once (a cache makes a re-run hash only what changed), kept per file in
the artifact store (a second run of the same folder stores nothing new), laid out exactly as
recorded, and the states reuse compares."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from runner.execution import codeset
from runner.execution.codeset import build
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore


@pytest.fixture
def stores(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = RunStore(tmp_path / "home" / "runs.sqlite3")
    yield store, ArtifactStore(tmp_path / "home" / "artifacts")
    store.close()


def _old(path: Path) -> None:
    """Back-date a file: files changed in the last seconds are hashed again (mtime granularity)."""
    os.utime(path, (1_000_000_000, 1_000_000_000))


def _project(root: Path) -> Path:
    (root / "lib").mkdir(parents=True)
    files = {"valohai.yaml": "- step: {}\n", "train.py": "import lib.model\n", "lib/model.py": "W = 1\n"}
    for rel, text in files.items():
        (root / rel).write_text(text)
        _old(root / rel)
    (root / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (root / "run.sh").chmod(0o755)
    _old(root / "run.sh")
    (root / "latest").symlink_to("lib/model.py")
    return root


def _blobs(artifacts: ArtifactStore) -> int:
    return sum(1 for p in (artifacts.root / "sha256").rglob("*") if p.is_file())


def test_files_are_kept_once_and_a_rerun_hashes_only_what_changed(stores, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store, artifacts = stores
    root = _project(tmp_path / "p")
    first = build(root, store, artifacts, root / "valohai.yaml")
    assert sorted(first.files) == ["latest", "lib/model.py", "run.sh", "train.py", "valohai.yaml"]
    assert first.files["run.sh"].kind == "X" and first.files["latest"].target == "lib/model.py"
    assert _blobs(artifacts) == 4
    hashed: list[Path] = []
    real = codeset._hash_and_keep
    monkeypatch.setattr(codeset, "_hash_and_keep", lambda p, a, k: hashed.append(p) or real(p, a, k))
    again = build(root, store, artifacts, root / "valohai.yaml")
    assert hashed == [] and again.snapshot_id == first.snapshot_id and _blobs(artifacts) == 4
    (root / "lib" / "model.py").write_text("W = 2\n")
    changed = build(root, store, artifacts, root / "valohai.yaml")
    assert [p.name for p in hashed] == ["model.py"]
    assert changed.snapshot_id != first.snapshot_id and _blobs(artifacts) == 5
    rows = {r["path"]: r for r in store.snapshot_files(changed.snapshot_id)}
    assert rows["lib/model.py"]["sha256"] == changed.files["lib/model.py"].sha256
    assert rows["latest"]["kind"] == "L" and rows["latest"]["sha256"] is None


def test_key_leaves_out_the_runs_yaml_and_state_follows_each_dependency(stores, tmp_path) -> None:  # type: ignore[no-untyped-def]
    store, artifacts = stores
    root = _project(tmp_path / "p")
    before = build(root, store, artifacts, root / "valohai.yaml")
    (root / "valohai.yaml").write_text("- step: {name: changed}\n")
    after = build(root, store, artifacts, root / "valohai.yaml")
    assert after.key() == before.key() and after.snapshot_id != before.snapshot_id
    deps = ["f:train.py", "f:missing.py", "s:lib", "s:maybe.txt", "d:.", "d:lib", "m:.:numpy", "m:.:lib"]
    states = {d: after.state(d) for d in deps}
    assert states["f:missing.py"] == "absent" and states["s:lib"] == "folder" and states["m:.:lib"] == "lib"
    (root / "README.md").write_text("docs\n")
    (root / "numpy.py").write_text("shadow\n")
    (root / "maybe.txt").write_text("now here\n")
    now = build(root, store, artifacts, root / "valohai.yaml")
    changed = {d for d in deps if now.state(d) != states[d]}
    assert changed == {"d:.", "s:maybe.txt", "m:.:numpy"}  # train.py and lib/ are as they were


def test_the_step_gets_the_recorded_code_even_if_files_change_meanwhile(stores, tmp_path) -> None:  # type: ignore[no-untyped-def]
    store, artifacts = stores
    root = _project(tmp_path / "p")
    code = build(root, store, artifacts)
    (root / "train.py").write_text("print('edited during the run')\n")
    dest = tmp_path / "work" / "repository"
    code.copy_to(dest, artifacts)
    assert (dest / "train.py").read_text() == "import lib.model\n"
    assert os.access(dest / "run.sh", os.X_OK) and os.readlink(dest / "latest") == "lib/model.py"
    (dest / "train.py").write_text("the step may write its copy")  # a copy, not the stored blob
    assert artifacts.path_for(code.files["train.py"].sha256).read_text() == "import lib.model\n"
    tar_path = tmp_path / "code.tar"
    with tarfile.open(tar_path, "w") as tar:
        code.add_to_tar(tar, "valohai/repository", artifacts)
    with tarfile.open(tar_path) as tar:
        names = {m.name: m for m in tar.getmembers()}
        assert tar.extractfile("valohai/repository/train.py").read() == b"import lib.model\n"  # type: ignore[union-attr]
    assert names["valohai/repository/run.sh"].mode == 0o755
    assert names["valohai/repository/latest"].issym()
