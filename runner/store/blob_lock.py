"""The artifact store's lock between those who rely on a blob and gc, which deletes blobs.

Whoever is about to rely on a blob that is already stored (a run reusing an output, a code file
whose hash is cached, an imported run) claims it under the shared lock: the claim touches the
file, so its ctime says it was wanted after gc's sweep began and the sweep keeps it; gc sweeps
under the exclusive lock, so a claim either comes before the sweep (kept) or after it (the blob is
gone and the claimer knows). A flock on ``<artifacts>/gc.lock``: held by the process, so several
threads share one shared hold (counted), and released by the kernel when a holder dies.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_LOCKS: dict[str, BlobLock] = {}
_LOCKS_GUARD = threading.Lock()


class BlobLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._mutex = threading.Lock()
        self._holders = 0
        self._fd: int | None = None

    @classmethod
    def of(cls, root: Path) -> BlobLock:
        """The one lock object of this process for the artifact store at ``root``."""
        path = Path(root) / "gc.lock"
        with _LOCKS_GUARD:
            return _LOCKS.setdefault(str(path.resolve()), cls(path))

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._mutex:
            if self._holders == 0:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                fcntl.flock(fd, fcntl.LOCK_SH)  # waits while a sweep goes on (seconds)
                self._fd = fd
            self._holders += 1
        try:
            yield
        finally:
            with self._mutex:
                self._holders -= 1
                if self._holders == 0 and self._fd is not None:
                    os.close(self._fd)  # releases the flock
                    self._fd = None

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """gc's sweep: waits until no claim is in progress in any process."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)
