"""One self-contained archive of a run: its records, logs, metrics, outputs, inputs and code
snapshot (``pipeline-designer export`` / ``import``), so a colleague can inspect, reproduce or
compare it with theirs.

The archive is a tar (gzip-compressed when its name ends in ``.gz``) with a top folder
``pipeline-designer-run/`` holding ``manifest.json`` (format, the run id, the exporting
version), ``rows.json`` (every store row of the run, table by table), ``blobs/<sha256>`` (every
file the run references, content-addressed) and ``logs/<execution id>.log``. Importing checks
every blob against its name and every member's path, and adds the rows in one transaction.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
import time
from pathlib import Path
from typing import IO, Any

from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore

FORMAT = 1
TOP = "pipeline-designer-run"
_BLOB = re.compile(rf"^{TOP}/blobs/([0-9a-f]{{64}})$")
_LOG = re.compile(rf"^{TOP}/logs/([A-Za-z0-9._#~-]+)\.log$")
_LOG_NAME = re.compile(r"^[A-Za-z0-9._#~-]+\.log$")
MAX_JSON = 512 * 1024 * 1024  # rows of a run with very long metric histories still fit


class ArchiveError(RuntimeError):
    """The file is not a run archive, or does not match what it says; nothing was imported."""


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(f"{TOP}/{name}")
    info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
    tar.addfile(info, io.BytesIO(data))


def export_run(
    store: RunStore,
    artifacts: ArtifactStore,
    run_id: str,
    dest: Path | IO[bytes],
    version: str,
) -> dict[str, int]:
    """Write the run's archive to ``dest``, a path (written atomically) or a binary stream (an
    uncompressed tar, for ``--to -``); returns counts of what went in."""
    rows = store.rows_of_run(run_id)
    if not rows.get("runs"):
        raise ArchiveError(f"no run {run_id!r}")
    for row in rows.get("executions", []):
        # A reused execution read what the one it reused read; that one lives in another run.
        if row.get("reads") is None and row.get("reused_from"):
            original = store.execution_by_id(row["reused_from"])
            if original and original.get("reads") is not None:
                row["reads"] = json.dumps(original["reads"])
    blobs = sorted({r["sha256"] for r in store.referenced_blobs(run_id)})
    missing = [b for b in blobs if not artifacts.has(b)]
    if not isinstance(dest, Path):  # a pipe: streamed, nothing to rename
        with tarfile.open(fileobj=dest, mode="w|") as tar:
            return _write_archive(tar, run_id, version, rows, blobs, missing, artifacts)
    tmp = dest.with_name(f".{dest.name}.partial")
    mode = "w:gz" if dest.name.endswith((".gz", ".tgz")) else "w"
    with tarfile.open(tmp, mode) as tar:  # type: ignore[call-overload]
        counts = _write_archive(tar, run_id, version, rows, blobs, missing, artifacts)
    tmp.replace(dest)
    return counts


def _write_archive(
    tar: tarfile.TarFile,
    run_id: str,
    version: str,
    rows: dict[str, Any],
    blobs: list[str],
    missing: list[str],
    artifacts: ArtifactStore,
) -> dict[str, int]:
    logs = 0
    manifest = {"format": FORMAT, "run": run_id, "exported_by": version, "missing_blobs": missing}
    _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=2).encode())
    _add_bytes(tar, "rows.json", json.dumps(rows).encode())
    for sha in blobs:
        if sha not in missing:
            tar.add(artifacts.path_for(sha), arcname=f"{TOP}/blobs/{sha}", recursive=False)
    for row in rows.get("executions", []):
        path = Path(row["log_path"]) if row.get("log_path") else None
        if path is not None and path.is_file():
            tar.add(path, arcname=f"{TOP}/logs/{row['id']}.log", recursive=False)
            logs += 1
    return {"executions": len(rows.get("executions", [])), "blobs": len(blobs) - len(missing), "logs": logs}


def import_run(store: RunStore, artifacts: ArtifactStore, source: Path, log_root: Path) -> str:
    """Add an exported run to this store; its logs go under ``log_root/<run id>/``. Returns the
    run id. A run already here is refused unless it is the same run (then nothing changes)."""
    with artifacts.lock.shared():  # its blobs are in before its rows: gc waits until both are
        return _import_run(store, artifacts, source, log_root)


def _import_run(store: RunStore, artifacts: ArtifactStore, source: Path, log_root: Path) -> str:
    manifest: dict[str, Any] | None = None
    rows: dict[str, list[dict[str, Any]]] | None = None
    logs: dict[str, bytes] = {}
    try:
        with tarfile.open(source, "r:*") as tar:
            for member in tar:
                if member.isdir():
                    continue
                if not member.isfile():
                    raise ArchiveError(f"{source}: unexpected entry {member.name!r} (not a file)")
                data = tar.extractfile(member)
                assert data is not None
                if member.name == f"{TOP}/manifest.json":
                    manifest = _json(data, member.name)
                elif member.name == f"{TOP}/rows.json":
                    rows = _json(data, member.name)
                elif m := _BLOB.match(member.name):
                    _blob_in(artifacts, data, m.group(1), source)
                elif m := _LOG.match(member.name):
                    logs[m.group(1)] = data.read()
                else:
                    raise ArchiveError(f"{source}: unexpected entry {member.name!r}")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError(f"{source}: not a readable run archive ({exc})") from None
    if manifest is None or rows is None or not rows.get("runs"):
        raise ArchiveError(f"{source}: not a run archive (no {TOP}/manifest.json and rows.json)")
    if manifest.get("format") != FORMAT:
        raise ArchiveError(
            f"{source}: archive format {manifest.get('format')!r}; this version reads {FORMAT}"
        )
    run_id = str(rows["runs"][0]["id"])
    existing = store.run(run_id)
    if existing is not None:
        if existing["started"] == rows["runs"][0]["started"]:
            return run_id  # the same run, imported before
        raise ArchiveError(f"{source}: this store already has a different run {run_id}")
    folder = log_root / run_id
    for row in rows.get("executions", []):
        text = logs.get(row["id"])
        if text is not None:
            folder.mkdir(parents=True, exist_ok=True)
            name = Path(str(row.get("log_path") or "")).name
            path = folder / (name if _LOG_NAME.match(name) else f"{row['id']}.log")
            path.write_bytes(text)
            row["log_path"] = str(path)
        else:
            row["log_path"] = None
    store.insert_rows(rows)
    return run_id


def _json(data: IO[bytes], name: str) -> Any:
    raw = data.read(MAX_JSON + 1)
    if len(raw) > MAX_JSON:
        raise ArchiveError(f"{name} is too large")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ArchiveError(f"{name} is not valid JSON ({exc})") from None


def _blob_in(artifacts: ArtifactStore, data: IO[bytes], sha: str, source: Path) -> None:
    if artifacts.claim(sha):
        digest = hashlib.sha256()
        while chunk := data.read(1 << 20):
            digest.update(chunk)
        got = digest.hexdigest()
    else:
        got, _size = artifacts.put_stream(data)
    if got != sha:
        raise ArchiveError(f"{source}: blob {sha} is damaged (its content hashes to {got})")
