"""The step's code: the YAML's folder (or its ``source-path``), hashed and copied per execution."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import shutil
import tarfile
from pathlib import Path

# Never part of the code snapshot: VCS data, caches, virtual environments.
_SKIP_DIRS = {
    ".git",
    ".hg",
    ".svn",
    "__pycache__",
    ".venv",
    "venv",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".cache",
    ".valohai",
}
# The runner's own data folder carries this marker; it is skipped if it sits inside the code.
HOME_MARKER = ".pipeline-designer-home"
# Paths that are data, not code: valohai-cli leaves them out of an ad-hoc execution's package, and
# so do we (out of the code hash too, so changing a data file does not defeat reuse). One glob a
# line, "#" comments; a pattern without "/" matches a file or folder name anywhere, one with "/"
# (e.g. "/data", "src/*.log") the path from the root; a trailing "/" is ignored.
IGNORE_FILE = ".vhignore"


def _ignore_patterns(root: Path) -> list[tuple[str, bool]]:
    """(glob, anchored): anchored globs (with a "/" other than a trailing one) match from the root."""
    try:
        lines = (root / IGNORE_FILE).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    patterns = []
    for line in lines:
        glob = line.strip().rstrip("/")
        if glob and not glob.startswith("#"):
            patterns.append((glob.lstrip("/"), "/" in glob))
    return patterns


def _ignored(rel: str, patterns: list[tuple[str, bool]]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel if anchored else name, glob) for glob, anchored in patterns)


def _walk(root: Path) -> list[tuple[str, Path]]:
    entries: list[tuple[str, Path]] = []
    patterns = _ignore_patterns(root)
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath).relative_to(root).as_posix()
        prefix = "" if base == "." else base + "/"
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in _SKIP_DIRS
            and not (Path(dirpath) / d / HOME_MARKER).exists()
            and not _ignored(prefix + d, patterns)
        )
        for name in sorted(filenames):
            if _ignored(prefix + name, patterns):
                continue
            full = Path(dirpath) / name
            entries.append((full.relative_to(root).as_posix(), full))
        for name in dirnames:  # symlinked folders are listed here but not descended into
            full = Path(dirpath) / name
            if full.is_symlink():
                entries.append((full.relative_to(root).as_posix(), full))
    return entries


def tree_hash(root: Path) -> str:
    """sha256 over (relative path, executable bit, content or link target) of every file."""
    digest = hashlib.sha256()
    for rel, full in _walk(root):
        st = full.lstat()
        digest.update(rel.encode() + b"\0")
        if full.is_symlink():
            digest.update(b"L" + os.readlink(full).encode())
        else:
            digest.update(b"X" if st.st_mode & 0o111 else b"F")
            with open(full, "rb") as fh:
                digest.update(hashlib.file_digest(fh, "sha256").digest())
        digest.update(b"\0")
    return digest.hexdigest()


def copy_tree(root: Path, dest: Path) -> None:
    """Copy the snapshot (symlinks kept as links: inside a container they point into the container)."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel, full in _walk(root):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if full.is_symlink():
            os.symlink(os.readlink(full), target)
        else:
            shutil.copy2(full, target)


def add_tree_to_tar(tar: tarfile.TarFile, root: Path, arcroot: str) -> None:
    for rel, full in _walk(root):
        tar.add(full, arcname=f"{arcroot}/{rel}", recursive=False)
