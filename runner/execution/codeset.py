"""The code of a run: its files hashed once, kept in the artifact store, and what reuse keys on.

``build`` lists the code (runner.execution.code's rules), hashes each file, and keeps the ones
the artifact store lacks (per-file dedup: a hundred runs of one repository cost one copy plus
what changed); the manifest becomes a snapshot row whose id is the sha256 of the manifest. A
hash cache in the run store (size, mtime, inode) makes a re-run hash only what changed. The
backends copy an execution's repository from the snapshot, so it runs exactly the recorded
code even if files change while the run goes on.

Reuse keys on code through ``key`` (every file but the run's YAML, whose meaning for a node is
in the rest of the key) or, when the execution's reads are known, through ``state`` of just the
files, folders and module names it read (runner.execution.reads).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.execution.code import code_files
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore

RACY_SECONDS = 2.0  # a file modified this recently may change again within its mtime: not cached


@dataclass(frozen=True)
class CodeFile:
    path: str  # relative, "/"-separated
    kind: str  # "F" file, "X" executable file, "L" symbolic link
    size: int
    sha256: str | None = None  # files
    target: str | None = None  # links

    @property
    def identity(self) -> str:
        return f"L:{self.target}" if self.kind == "L" else f"{self.kind}:{self.sha256}"

    def as_row(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "size": self.size,
            "sha256": self.sha256,
            "target": self.target,
        }


@dataclass
class CodeSet:
    root: Path
    files: dict[str, CodeFile]
    snapshot_id: str
    yaml_rel: str | None = None  # the run's YAML, left out of ``key``
    kept: bool = True  # every file's content is in the artifact store

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files.values())

    def key(self) -> str:
        """Hash of every code file except the run's YAML (the whole-folder rule)."""
        digest = hashlib.sha256()
        for rel, f in sorted(self.files.items()):
            if rel != self.yaml_rel:
                digest.update(f"{rel}\0{f.identity}\0".encode())
        return digest.hexdigest()

    def children(self, folder: str) -> list[str]:
        """Names directly inside ``folder`` ("." the root): files, links and sub-folders."""
        prefix = "" if folder in (".", "") else folder.rstrip("/") + "/"
        names = {rel[len(prefix) :].split("/", 1)[0] for rel in self.files if rel.startswith(prefix)}
        return sorted(names)

    def state(self, dependency: str) -> str:
        """The current state of one dependency recorded by runner.execution.reads:
        ``f:PATH`` its content, ``s:PATH`` whether it exists (file/folder), ``d:PATH`` the names in
        a folder, ``m:DIR:NAME`` the entries that a module lookup of NAME in DIR could find."""
        kind, _, rest = dependency.partition(":")
        if kind == "f":
            f = self.files.get(rest)
            return f.identity if f else ("folder" if self.children(rest) else "absent")
        if kind == "s":
            return "file" if rest in self.files else ("folder" if self.children(rest) else "absent")
        if kind == "d":
            return _digest("\n".join(self.children(rest)))
        if kind == "m":
            folder, _, name = rest.rpartition(":")
            found = [n for n in self.children(folder) if n == name or n.startswith(name + ".")]
            return ",".join(found)
        raise ValueError(f"unknown dependency {dependency!r}")

    def manifest(self) -> list[dict[str, Any]]:
        return [f.as_row() for _rel, f in sorted(self.files.items())]

    # placing the code ----------------------------------------------------------------
    def copy_to(self, dest: Path, artifacts: ArtifactStore) -> None:
        """Lay the snapshot out in ``dest`` (writable copies; links kept as links)."""
        dest.mkdir(parents=True, exist_ok=True)
        for rel, f in sorted(self.files.items()):
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if f.kind == "L":
                os.symlink(f.target or "", target)
                continue
            shutil.copyfile(self._source(rel, f, artifacts), target)
            os.chmod(target, 0o755 if f.kind == "X" else 0o644)

    def add_to_tar(self, tar: tarfile.TarFile, arcroot: str, artifacts: ArtifactStore) -> None:
        for rel, f in sorted(self.files.items()):
            info = tarfile.TarInfo(f"{arcroot}/{rel}")
            info.mtime = int(time.time())
            if f.kind == "L":
                info.type, info.linkname = tarfile.SYMTYPE, f.target or ""
                tar.addfile(info)
                continue
            info.size, info.mode = f.size, 0o755 if f.kind == "X" else 0o644
            with open(self._source(rel, f, artifacts), "rb") as fh:
                tar.addfile(info, fh)

    def _source(self, rel: str, f: CodeFile, artifacts: ArtifactStore) -> Path:
        if self.kept and f.sha256 and artifacts.has(f.sha256):
            return artifacts.path_for(f.sha256)
        return self.root / rel


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def snapshot_id(manifest: list[dict[str, Any]]) -> str:
    return _digest(json.dumps(manifest, sort_keys=True, separators=(",", ":")))


def build(
    root: Path,
    store: RunStore,
    artifacts: ArtifactStore,
    yaml_path: Path | None = None,
    keep: bool = True,
) -> CodeSet:
    """List, hash and (``keep``) store the code under ``root``; record its snapshot."""
    root = root.absolute()
    cache = store.cached_hashes(str(root) + os.sep)
    fresh: list[tuple[str, int, int, int, str]] = []
    files: dict[str, CodeFile] = {}
    now = time.time()
    with artifacts.lock.shared():  # one hold for every claim of a cached file (runner.store.blob_lock)
        for rel, full in code_files(root):
            st = full.lstat()
            if stat.S_ISLNK(st.st_mode):
                files[rel] = CodeFile(rel, "L", 0, target=os.readlink(full))
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            kind = "X" if st.st_mode & 0o111 else "F"
            seen = cache.get(str(full))
            if (
                seen
                and seen[:3] == (st.st_size, st.st_mtime_ns, st.st_ino)
                and (not keep or artifacts.claim(seen[3]))
            ):
                sha, size = seen[3], st.st_size
            else:
                sha, size = _hash_and_keep(full, artifacts, keep)
                if now - st.st_mtime > RACY_SECONDS:
                    fresh.append((str(full), st.st_size, st.st_mtime_ns, st.st_ino, sha))
            files[rel] = CodeFile(rel, kind, size, sha256=sha)
    store.put_hashes(fresh)
    yaml_rel = None
    if yaml_path is not None:
        try:
            yaml_rel = yaml_path.absolute().relative_to(root).as_posix()
        except ValueError:
            yaml_rel = None
    code = CodeSet(root, files, "", yaml_rel, keep)
    code.snapshot_id = snapshot_id(code.manifest())
    if keep:
        store.add_snapshot(code.snapshot_id, code.manifest())
    return code


def _hash_and_keep(path: Path, artifacts: ArtifactStore, keep: bool) -> tuple[str, int]:
    """One read of the file: hashed, and copied into the artifact store when kept."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as fh:
        if keep:
            return artifacts.put_stream(fh)
        digest = hashlib.file_digest(fh, "sha256")
        return digest.hexdigest(), fh.tell()


def from_snapshot(
    root: Path, snapshot: str, rows: list[dict[str, Any]], yaml_rel: str | None = None
) -> CodeSet:
    """A stored snapshot as a code set (reproduce, shells): its files come from the artifact store."""
    files = {
        r["path"]: CodeFile(r["path"], r["kind"], r["size"], r.get("sha256"), r.get("target")) for r in rows
    }
    return CodeSet(root, files, snapshot, yaml_rel, kept=True)
