"""Output collection that never leaves the outputs folder (docs/runtime.md §4).

Symlinks, hard links, devices and archive entries outside the folder are refused with a
warning; sidecars (``valohai.metadata.jsonl``, ``<file>.metadata.json``) become properties.
"""

from __future__ import annotations

import json
import os
import posixpath
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from runner.execution.backend import Warn
from runner.execution.spec import OutputFile
from runner.store import space
from runner.store.artifacts import ArtifactStore

SIDECAR_JSONL = "valohai.metadata.jsonl"
SIDECAR_SUFFIX = ".metadata.json"


def collect_dir(outputs: Path, artifacts: ArtifactStore, warn: Warn, move: bool = True) -> list[OutputFile]:
    """Store every regular file under ``outputs`` (walked without following links).

    Free space is checked first: what must be copied (another filesystem, or ``move`` off) plus
    the reserve for recording it; too little raises DiskFull and stores nothing, so a partial
    output written on a full disk never enters the artifact store."""
    files: list[tuple[str, Path, os.stat_result]] = []
    sidecars: dict[str, bytes] = {}
    stack = [outputs]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                rel = Path(entry.path).relative_to(outputs).as_posix()
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISLNK(st.st_mode):
                    warn(f"output {rel!r} refused: it is a symbolic link ({os.readlink(entry.path)!r})")
                elif stat.S_ISDIR(st.st_mode):
                    stack.append(Path(entry.path))
                elif not stat.S_ISREG(st.st_mode):
                    warn(f"output {rel!r} refused: not a regular file")
                elif _is_sidecar(rel):
                    sidecars[rel] = Path(entry.path).read_bytes()
                else:
                    files.append((rel, Path(entry.path), st))
    if files:
        store_dev = os.stat(artifacts.root).st_dev
        copied = sum(st.st_size for _r, _p, st in files if not move or st.st_dev != store_dev)
        space.check(artifacts.root, copied)
    found = [(rel, *artifacts.put_file(path, move=move)) for rel, path, _st in files]
    return _with_properties(found, sidecars, warn)


def _is_sidecar(rel: str) -> bool:
    return rel == SIDECAR_JSONL or rel.endswith(SIDECAR_SUFFIX)


def safe_member_path(name: str, root: str = "outputs") -> str | None:
    """Relative path under ``root`` for an archive member name, or None if it escapes."""
    if name.startswith("/") or "\\" in name:
        return None
    norm = posixpath.normpath(name)
    if norm == root:
        return ""
    if not norm.startswith(root + "/") or ".." in norm.split("/"):
        return None
    return norm[len(root) + 1 :]


def collect_tar(
    fileobj: IO[bytes], artifacts: ArtifactStore, warn: Warn, root: str = "outputs"
) -> list[OutputFile]:
    """Store the regular files of a streamed tar (``docker get_archive``) without extracting it."""
    space.check(artifacts.root, 0)  # a full disk: nothing fetched (a full file is refused as it comes)
    found: list[tuple[str, str, int]] = []
    sidecars: dict[str, bytes] = {}
    with tarfile.open(fileobj=fileobj, mode="r|") as tar:
        for member in tar:
            rel = safe_member_path(member.name, root)
            if rel is None:
                warn(f"output archive entry {member.name!r} refused: outside the outputs folder")
                continue
            if member.isdir():
                continue
            if not member.isfile():
                kind = "a symbolic link" if member.issym() else "a link" if member.islnk() else "special"
                warn(f"output {rel!r} refused: it is {kind}")
                continue
            data = tar.extractfile(member)
            if data is None:
                continue
            if _is_sidecar(rel):
                sidecars[rel] = data.read()
            else:
                sha, size = artifacts.put_stream(data)
                found.append((rel, sha, size))
    return _with_properties(found, sidecars, warn)


def _sidecar_records(sidecars: dict[str, bytes], warn: Warn) -> Iterator[tuple[str, Any]]:
    for rel, raw in sidecars.items():
        try:
            if rel == SIDECAR_JSONL:
                for line in raw.decode().splitlines():
                    if line.strip():
                        rec = json.loads(line)
                        yield str(rec["file"]), rec.get("metadata", {})
            else:
                yield rel[: -len(SIDECAR_SUFFIX)], json.loads(raw)
        except (ValueError, KeyError, TypeError) as exc:
            warn(f"output properties file {rel!r} ignored: {exc}")


def _with_properties(
    found: list[tuple[str, str, int]], sidecars: dict[str, bytes], warn: Warn
) -> list[OutputFile]:
    props: dict[str, dict[str, Any]] = {}
    for rel, data in _sidecar_records(sidecars, warn):
        if isinstance(data, dict):
            props.setdefault(rel, {}).update(data)
    return [OutputFile(rel, sha, size, props.get(rel)) for rel, sha, size in sorted(found)]
