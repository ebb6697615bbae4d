"""Output collection safety, the artifact store and the SQLite store (no engine)."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from runner.execution.collect import collect_dir, collect_tar, safe_member_path
from runner.store.artifacts import ArtifactStore, sha256_file
from runner.store.db import RunStore


def _tar(entries: list[tuple[str, bytes | None, str]]) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data, kind in entries:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(data or b"")
                tar.addfile(info, io.BytesIO(data or b""))
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif kind == "sym":
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                tar.addfile(info)
            elif kind == "hard":
                info.type, info.linkname = tarfile.LNKTYPE, "/etc/passwd"
                tar.addfile(info)
    buf.seek(0)
    return buf


def test_crafted_archive_entries_are_refused(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "a")
    warnings: list[str] = []
    tar = _tar(
        [
            ("outputs", None, "dir"),
            ("outputs/ok.txt", b"fine", "file"),
            ("outputs/../../x", b"evil", "file"),
            ("../../x", b"evil", "file"),
            ("/etc/cron.d/x", b"evil", "file"),
            ("outputs/link", None, "sym"),
            ("outputs/hard", None, "hard"),
            ("outputs/sub/deep.txt", b"deep", "file"),
        ]
    )
    outs = collect_tar(tar, store, warnings.append)
    assert [(o.path, o.size) for o in outs] == [("ok.txt", 4), ("sub/deep.txt", 4)]
    assert len(warnings) == 5
    assert any("'outputs/../../x'" in w and "outside" in w for w in warnings)
    assert any("'../../x'" in w for w in warnings)
    assert any("link" in w and "symbolic" in w for w in warnings)
    assert not (tmp_path / "x").exists() and not Path("/x").exists()


def test_safe_member_path() -> None:
    assert safe_member_path("outputs/a/b") == "a/b"
    assert safe_member_path("outputs") == ""
    for bad in ["outputs/../x", "../outputs/x", "/outputs/x", "outputsx/y", "other/x", "outputs\\..\\x"]:
        assert safe_member_path(bad) is None, bad


def test_collect_dir_refuses_symlinks_and_reads_sidecars(tmp_path: Path) -> None:
    out = tmp_path / "outputs"
    (out / "sub").mkdir(parents=True)
    (out / "model.bin").write_bytes(b"m" * 1000)
    (out / "sub" / "x.csv").write_text("a,b\n")
    (out / "x").symlink_to("/etc/passwd")
    (out / "dirlink").symlink_to("/etc")
    os.mkfifo(out / "fifo")
    (out / "valohai.metadata.jsonl").write_text(
        '{"file": "model.bin", "metadata": {"valohai.tags": ["t"]}}\n'
    )
    (out / "sub" / "x.csv.metadata.json").write_text('{"rows": 1}')
    store = ArtifactStore(tmp_path / "a")
    warnings: list[str] = []
    outs = collect_dir(out, store, warnings.append)
    assert [o.path for o in outs] == ["model.bin", "sub/x.csv"]
    assert outs[0].properties == {"valohai.tags": ["t"]} and outs[1].properties == {"rows": 1}
    assert sorted(w.split("'")[1] for w in warnings) == ["dirlink", "fifo", "x"]
    stored = store.path_for(outs[0].sha256)
    assert stored.read_bytes() == b"m" * 1000 and sha256_file(stored)[0] == outs[0].sha256
    assert oct(stored.stat().st_mode & 0o777) == "0o444"


def test_artifact_store_dedupes_and_rejects_bad_digests(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("same")
    b.write_text("same")
    assert store.put_file(a)[0] == store.put_file(b, move=True)[0]
    assert a.exists() and not b.exists()
    with pytest.raises(ValueError, match="sha256"):
        store.path_for("../../etc/passwd")


def test_run_store_wal_reuse_and_stale(tmp_path: Path) -> None:
    db = RunStore(tmp_path / "runs.sqlite3")
    assert db._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.create_run("r1", pipeline="p", started=1.0, backend="docker")
    db.upsert_execution(
        "e1", run_id="r1", node="a", status="succeeded", reuse_key="k", ended=2.0, parameters={"x": 1}
    )
    db.add_outputs("e1", [{"path": "o.txt", "sha256": "0" * 64, "size": 3, "properties": None}])
    db.add_metadata("e1", 0, 1.5, {"acc": float("nan")})
    assert db.find_reusable("k")["id"] == "e1" and db.find_reusable("other") is None
    assert db.execution("r1", "a")["parameters"] == {"x": 1}
    assert db.run("latest")["id"] == "r1"
    # r1 belongs to this (live) process: not stale. A run of a dead pid is.
    assert db.stale_runs() == []
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    db.create_run("r2", started=3.0, pid=int(dead.stdout))
    db.upsert_execution("e2", run_id="r2", node="a", status="running")
    assert [r["id"] for r in db.stale_runs()] == ["r2"]
    db.mark_interrupted("r2", 4.0)
    assert db.run("r2")["status"] == "interrupted" and db.execution("r2", "a")["status"] == "interrupted"
    db.close()
    # a second connection (another process, e.g. `history`) reads the same data
    other = sqlite3.connect(tmp_path / "runs.sqlite3")
    assert other.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
