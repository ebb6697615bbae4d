"""The step's code: which files of the YAML's folder count as code (hashed and copied).

In a git work tree the code is what git would commit: tracked files plus untracked files git
does not ignore (``.gitignore``, ``.git/info/exclude``, the global excludes). Outside git it is
every file of the folder. Both then leave out ``.vhignore``'s patterns, caches and virtual
environments, the designer's own files (layout sidecar, ``.bak``, save temp files, autosaves,
lock files) and editor backups: saving the YAML or leaving ``train.py~`` changes no code.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import os
import re
import shutil
import subprocess
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
# Never code, wherever they are: the designer's own files (the layout sidecar of any YAML, the
# ``.bak`` and temp file of a save, autosaves, lock files) and what editors and merge tools leave.
NOT_CODE = (
    ".git",  # a submodule's pointer file
    ".*.designer.json",
    ".*.designer.json.*",
    "*.bak",
    ".*.tmp",
    ".autosave-*",
    ".~lock.*#",
    ".*.designer.lock",
    "*~",
    "*.orig",
    "*.rej",
    "*.swp",
    "*.swo",
    "*.swx",
    ".#*",
    "#*#",
    ".DS_Store",
    "Thumbs.db",
)
GIT_TIMEOUT = 20.0  # seconds for git to list a work tree
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


def _not_code(name: str) -> bool:
    return _not_code_pattern().match(name) is not None


@functools.cache
def _not_code_pattern() -> re.Pattern[str]:
    # One regex for all the globs: fnmatchcase compiles a regex per glob on first use, ~1 ms
    # each, paid at every start of the CLI. fnmatchcase(name, g) is re.match(translate(g), name).
    return re.compile("|".join(f"(?:{fnmatch.translate(glob)})" for glob in NOT_CODE))


def _skipped_dir(folder: Path, name: str) -> bool:
    return name in _SKIP_DIRS or (folder / name / HOME_MARKER).exists()


def code_files(root: Path) -> list[tuple[str, Path]]:
    """(relative "/"-path, full path) of every file that counts as code, sorted by path."""
    listed = _git_files(root)
    entries = _walk(root) if listed is None else _filter(root, listed)
    return sorted(entries)


def _walk(
    root: Path, base: str = "", patterns: list[tuple[str, bool]] | None = None
) -> list[tuple[str, Path]]:
    entries: list[tuple[str, Path]] = []
    patterns = _ignore_patterns(root) if patterns is None else patterns
    start = root / base if base else root
    for dirpath, dirnames, filenames in os.walk(start):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not _skipped_dir(Path(dirpath), d) and not _ignored(prefix + d, patterns) and not _not_code(d)
        )
        for name in sorted(filenames):
            if _ignored(prefix + name, patterns) or _not_code(name):
                continue
            entries.append((prefix + name, Path(dirpath) / name))
        for name in dirnames:  # symlinked folders are listed here but not descended into
            full = Path(dirpath) / name
            if full.is_symlink():
                entries.append((prefix + name, full))
    return entries


def _git_files(root: Path) -> list[str] | None:
    """What git would commit under ``root`` (relative paths), or None outside a work tree."""
    if not (root / ".git").exists() and not any((p / ".git").exists() for p in root.resolve().parents):
        return None
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None  # no git here (or a hung one): the plain folder rules
    if proc.returncode != 0:
        return None
    return sorted({p.decode("utf-8", "surrogateescape") for p in proc.stdout.split(b"\0") if p})


def _filter(root: Path, listed: list[str]) -> list[tuple[str, Path]]:
    """git's list with our rules on top; a submodule (a folder in the list) is walked."""
    patterns = _ignore_patterns(root)
    entries: list[tuple[str, Path]] = []
    for rel in listed:
        parts = rel.split("/")
        full = root / rel
        if any(_not_code(p) for p in parts) or _ignored_path(parts, patterns):
            continue
        if _in_skipped_dir(root, parts[:-1]):
            continue
        if full.is_symlink() or full.is_file():
            entries.append((rel, full))
        elif full.is_dir():  # a submodule's work tree
            entries.extend(_walk(root, rel, patterns))
        # else: tracked but deleted in the work tree, not code any more
    return entries


def _in_skipped_dir(root: Path, folders: list[str]) -> bool:
    """A cache, virtual environment or our data folder on the way (git may list them)."""
    folder = root
    for name in folders:
        if _skipped_dir(folder, name):
            return True
        folder = folder / name
    return False


def _ignored_path(parts: list[str], patterns: list[tuple[str, bool]]) -> bool:
    """A path is ignored when it or a folder above it matches (as the walk prunes folders)."""
    return any(_ignored("/".join(parts[: i + 1]), patterns) for i in range(len(parts)))


def tree_hash(root: Path) -> str:
    """sha256 over (relative path, executable bit, content or link target) of every file."""
    digest = hashlib.sha256()
    for rel, full in code_files(root):
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
    for rel, full in code_files(root):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if full.is_symlink():
            os.symlink(os.readlink(full), target)
        else:
            shutil.copy2(full, target)


def add_tree_to_tar(tar: tarfile.TarFile, root: Path, arcroot: str) -> None:
    for rel, full in code_files(root):
        tar.add(full, arcname=f"{arcroot}/{rel}", recursive=False)
