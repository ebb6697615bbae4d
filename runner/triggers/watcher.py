"""Notice real changes to watched files and folders by polling (no OS-specific watch APIs).

Each poll lists the watched paths (folders recursively, symlinked folders not followed) and
compares (path, size, mtime_ns). When that list moves, the detector waits until it has stood
still for ``settle`` seconds (a copy in progress fires once, when it is done), then confirms by
sha256 which files really changed: a ``touch`` that keeps the content fires nothing.

Every watched file is hashed once at start (a large data folder takes a moment), then only
files whose stat moved are hashed again. Watched paths must exist when watching starts (a typo
should fail at once, not wait forever); a path deleted later counts as its files being removed,
and coming back as a change.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from runner.triggers.schedule import TriggerError

Stat = tuple[int, int]  # (size, mtime_ns)


class ChangeDetector:
    def __init__(self, paths: Sequence[str | Path], settle: float = 1.0, base: Path | None = None) -> None:
        if not paths:
            raise TriggerError("--on-change needs at least one file or folder")
        missing = [str(p) for p in paths if not Path(p).exists()]
        if missing:
            raise TriggerError(
                f"--on-change: {', '.join(missing)} does not exist; create it first or fix the path "
                "(watched paths must exist when watching starts)"
            )
        self.paths = [Path(p).absolute() for p in paths]
        self.settle = settle
        self.base = (base or Path.cwd()).absolute()
        self._stats = self._scan()
        # Content as last confirmed, and the stats it was hashed at.
        self._hashes = {path: _sha256(path) for path in self._stats}
        self._hashed_stats = dict(self._stats)
        self._moved_at: float | None = None

    @property
    def settling(self) -> bool:
        """Files moved and the detector waits for them to stand still."""
        return self._moved_at is not None

    def poll(self, now: float) -> list[str]:
        """Files whose content changed (added, removed, edited) once things settled, else []."""
        stats = self._scan()
        if stats != self._stats:
            self._stats, self._moved_at = stats, now
            return []
        if self._moved_at is None or now - self._moved_at < self.settle:
            return []
        self._moved_at = None
        hashes = {path: self._hashes.get(path) for path in stats}
        for path in stats:
            # Unchanged stat: the content we hashed before still stands.
            if hashes[path] is None or self._hashed_stats.get(path) != stats[path]:
                hashes[path] = _sha256(path)
        changed = sorted(
            self.display(path)
            for path in set(hashes) | set(self._hashes)
            if hashes.get(path) != self._hashes.get(path)
        )
        self._hashes = {path: digest for path, digest in hashes.items() if digest is not None}
        self._hashed_stats = dict(stats)
        return changed

    def display(self, path: str) -> str:
        p = Path(path)
        return p.relative_to(self.base).as_posix() if p.is_relative_to(self.base) else path

    def _scan(self) -> dict[str, Stat]:
        found: dict[str, Stat] = {}
        for root in self.paths:
            if root.is_file():
                _add(found, root)
                continue
            for dirpath, dirnames, filenames in os.walk(root):  # followlinks=False: no loops
                dirnames.sort()
                for name in filenames:
                    _add(found, Path(dirpath) / name)
        return found


def _add(found: dict[str, Stat], path: Path) -> None:
    try:
        st = path.stat()
    except OSError:  # removed between listing and stat, or a dangling link
        return
    found[str(path)] = (st.st_size, st.st_mtime_ns)


def _sha256(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:  # gone or unreadable now: it will show up in the next scan
        return None
