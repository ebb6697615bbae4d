"""``pipeline-designer gc``: delete old runs, then every file nothing needs any more.

What goes: the runs chosen (older than N days, all but the newest N of each pipeline, or by id;
a run in progress never), their rows, logs and work folders; then every blob of the artifact
store that no remaining run references (``blob_refs``), temp files and work folders left by
killed runs. ``plan`` says what would go (``--dry-run``); ``apply`` does it.

Safe while a run writes: a blob, temp file or folder is only removed if its ctime is older than
the start of every run in progress and of the sweep itself, since anything a run stores or claims
(runner.store.blob_lock) after it started is newer; the sweep holds the blob lock exclusively,
so a run that claims a blob either does so before (the blob is kept) or finds it gone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.store.artifacts import ArtifactStore, sha256_file
from runner.store.db import RunStore
from runner.store.health import StoreFull
from runner.store.liveness import runner_alive

DAY = 86400.0
SLACK = 1.0  # seconds: file times come from a coarser clock than time.time()


class GcError(ValueError):
    """What was asked cannot be done (an unknown run, a run in progress); nothing was deleted."""


@dataclass
class Doomed:
    path: Path
    size: int


@dataclass
class GcPlan:
    runs: list[dict[str, Any]] = field(default_factory=list)  # rows of the runs to delete
    spared: list[str] = field(default_factory=list)  # chosen, but in progress: kept
    blobs: list[Doomed] = field(default_factory=list)
    temps: list[Doomed] = field(default_factory=list)  # the artifact store's temp files
    folders: list[Doomed] = field(default_factory=list)  # logs and work folders
    containers: int = 0  # leftover containers of these runs, counted by the caller (not the store's)

    @property
    def freed(self) -> int:
        return sum(d.size for d in (*self.blobs, *self.temps, *self.folders))


def plan(
    store: RunStore,
    artifacts: ArtifactStore,
    home: Path,
    older_than: float | None = None,
    keep_last: int | None = None,
    run_ids: Iterable[str] = (),
    now: float | None = None,
) -> GcPlan:
    """What gc would delete: runs older than ``older_than`` days (all runs if only ``keep_last``
    is given), sparing the newest ``keep_last`` of each pipeline, plus ``run_ids``; then what no
    remaining run needs. GcError for an unknown run id or one in progress."""
    now = time.time() if now is None else now
    rows = store.run_rows()
    live = {r["id"] for r in rows if _in_progress(r)}
    dead = {r["id"] for r in rows if r["status"] == "running"} - live  # killed, not marked yet
    chosen = _chosen(rows, older_than, keep_last, now)
    for run_id in run_ids:
        row = store.run(run_id)
        if row is None:
            raise GcError(f"no run {run_id!r} (see `pipeline-designer history`)")
        if row["id"] in live:
            raise GcError(f"run {row['id']} is in progress: stop it first")
        chosen.add(row["id"])
    out = GcPlan(spared=sorted(chosen & live))
    out.runs = [r for r in rows if r["id"] in chosen - live]
    gone = {r["id"] for r in out.runs}
    cutoff = _cutoff(rows, now)
    used = store.blob_users(exclude_runs=gone)
    out.blobs = [d for sha, d in _blobs(artifacts) if sha not in used and _ctime(d.path) < cutoff]
    out.temps = [d for d in _files(artifacts.root / "tmp") if _ctime(d.path) < cutoff]
    remaining = {r["id"]: r for r in rows if r["id"] not in gone}
    for kind in ("logs", "work"):
        for folder in _children(home / kind):
            run = remaining.get(folder.name)
            if folder.name in gone:
                doomed = True
            elif kind == "logs":  # a log folder whose run is not in the store
                doomed = run is None and _ctime(folder) < cutoff
            else:  # kept (--keep-workdirs) unless its run was killed or is gone
                killed = run is None or run["status"] == "interrupted" or run["id"] in dead
                doomed = killed and _ctime(folder) < cutoff
            if doomed:
                out.folders.append(Doomed(folder, _tree_size(folder)))
    return out


def apply(store: RunStore, artifacts: ArtifactStore, home: Path, chosen: GcPlan) -> GcPlan:
    """Delete what ``chosen`` (a ``plan``) names, looking again at every blob under the blob lock
    (a run may have stored or claimed some since); returns what was removed. On a disk so full
    that the store cannot record the deletion, the files nothing references go first."""
    done = GcPlan(runs=chosen.runs, spared=chosen.spared)
    ids = [r["id"] for r in chosen.runs]
    try:
        store.delete_runs(ids)
    except StoreFull:
        _sweep(store, artifacts, done)  # no store write needed: room for the deletion
        store.delete_runs(ids)
    for folder in chosen.folders:
        shutil.rmtree(folder.path, ignore_errors=True)
        done.folders.append(folder)
    _sweep(store, artifacts, done)
    store.delete_orphan_snapshots(_cutoff(store.run_rows(), time.time()))
    return done


def _sweep(store: RunStore, artifacts: ArtifactStore, done: GcPlan) -> None:
    """Remove the blobs no run references and the temp files, older than every run in progress."""
    with artifacts.lock.exclusive():
        cutoff = _cutoff(store.run_rows(), time.time())
        used = store.blob_users()
        for sha, blob in _blobs(artifacts):
            if sha not in used and _ctime(blob.path) < cutoff and _unlink(blob.path):
                done.blobs.append(blob)
        for temp in _files(artifacts.root / "tmp"):
            if _ctime(temp.path) < cutoff and _unlink(temp.path):
                done.temps.append(temp)


def make_room(home: Path) -> int:
    """A disk so full the store cannot even be opened (SQLite needs a little room for its WAL):
    remove the artifact store's temp files older than every run in progress (read from the
    store file as it is, without opening it for writing); the bytes freed."""
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"file:{home / 'runs.sqlite3'}?immutable=1", uri=True)) as db:
            db.row_factory = sqlite3.Row
            rows = [dict(r) for r in db.execute("SELECT * FROM runs WHERE status='running'")]
    except sqlite3.Error:
        rows = []
    cutoff = _cutoff(rows, time.time())
    freed = 0
    for temp in _files(home / "artifacts" / "tmp"):
        if _ctime(temp.path) < cutoff and _unlink(temp.path):
            freed += temp.size
    return freed


@dataclass
class Verified:
    checked: int = 0
    size: int = 0
    damaged: dict[str, list[str]] = field(default_factory=dict)  # blob -> runs that lose it
    missing: dict[str, list[str]] = field(default_factory=dict)


def verify(store: RunStore, artifacts: ArtifactStore) -> Verified:
    """Hash every blob: one whose content is not its name is moved to ``damaged/`` (so no run
    reuses it); blobs runs reference that are not there are listed too."""
    out = Verified()
    present = set()
    quarantine = artifacts.root / "damaged"
    for sha, blob in _blobs(artifacts):
        try:
            got, size = sha256_file(blob.path)
        except OSError:
            got, size = "", 0
        out.checked, out.size = out.checked + 1, out.size + size
        if got == sha:
            present.add(sha)
            continue
        quarantine.mkdir(exist_ok=True)
        os.replace(blob.path, quarantine / f"{sha}.{int(time.time())}")
        out.damaged[sha] = []
    missing = store.blob_users() - present - set(out.damaged)
    users = store.runs_using([*out.damaged, *missing])
    out.damaged = {sha: users.get(sha, []) for sha in out.damaged}
    out.missing = {sha: users.get(sha, []) for sha in sorted(missing)}
    return out


def size_text(n: int) -> str:
    """Bytes as a person reads them: 12.3 KB, 4.5 MB, 1.23 GB."""
    if n < 1 << 20:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1 << 20):.1f} MB" if n < 1 << 30 else f"{n / (1 << 30):.2f} GB"


def _chosen(
    rows: list[dict[str, Any]], older_than: float | None, keep_last: int | None, now: float
) -> set[str]:
    if older_than is None and keep_last is None:
        return set()
    old = {r["id"] for r in rows if older_than is None or r["started"] < now - older_than * DAY}
    if keep_last is not None:
        seen: dict[tuple[Any, ...], int] = {}
        for r in rows:  # newest first
            key = (r["yaml_path"], r["pipeline"], None if r["pipeline"] else r["step"])
            seen[key] = seen.get(key, 0) + 1
            if seen[key] <= keep_last:
                old.discard(r["id"])
    return old


def _cutoff(rows: list[dict[str, Any]], now: float) -> float:
    """Files changed since this moment may belong to a run in progress (or this sweep's time)."""
    starts = [r["started"] for r in rows if _in_progress(r)]
    return min([now, *starts]) - SLACK


def _in_progress(run: dict[str, Any]) -> bool:
    """Running, and its process is alive (or on another machine): a killed run that a full disk
    kept from being marked ``interrupted`` does not count."""
    return run["status"] == "running" and runner_alive(run) is not False


def _blobs(artifacts: ArtifactStore) -> Iterator[tuple[str, Doomed]]:
    for prefix in _children(artifacts.root / "sha256"):
        for entry in _files(prefix):
            yield entry.path.name, entry


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())
    except FileNotFoundError:
        return []


def _files(folder: Path) -> list[Doomed]:
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    return [Doomed(Path(e.path), e.stat(follow_symlinks=False).st_size) for e in entries if e.is_file()]


def _ctime(path: Path) -> float:
    try:
        return os.lstat(path).st_ctime
    except FileNotFoundError:
        return float("inf")  # gone already: nothing to do


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _tree_size(folder: Path) -> int:
    total = 0
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total
