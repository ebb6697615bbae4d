"""Content-addressed file store: ``<root>/sha256/ab/<hex>``; files are immutable (0444)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Protocol

from runner.store import space
from runner.store.blob_lock import BlobLock


class Readable(Protocol):
    def read(self, n: int = ..., /) -> bytes: ...


_CHUNK = 4 * 1024 * 1024


def sha256_file(path: Path) -> tuple[str, int]:
    with open(path, "rb") as fh:
        return _hash_pipelined(fh)


def _hash_pipelined(fh: Readable) -> tuple[str, int]:
    """sha256 with reading on a helper thread: both release the GIL, so I/O overlaps hashing."""
    digest = hashlib.sha256()
    chunks: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=4)

    def read() -> None:
        try:
            while chunk := fh.read(_CHUNK):
                chunks.put(chunk)
            chunks.put(b"")
        except BaseException as exc:  # handed to the hashing side
            chunks.put(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    size = 0
    while True:
        item = chunks.get()
        if isinstance(item, BaseException):
            raise item
        if not item:
            break
        digest.update(item)
        size += len(item)
    reader.join()
    return digest.hexdigest(), size


class MissingBlob(FileNotFoundError):
    """A stored file a run references is not in the artifact store (deleted by hand, a disk
    error); ``gc --verify`` lists every such file with the runs that lose it."""

    def __init__(self, sha256: str) -> None:
        super().__init__(f"the stored file {sha256} is missing from the artifact store")
        self.sha256 = sha256

    def __str__(self) -> str:
        return str(self.args[0])


def _touch(path: Path) -> bool:
    """Move the file's ctime to now (gc keeps what changed after its sweep began); False if absent."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    except PermissionError:  # someone else's store, read only: reading it is all we do
        return path.is_file()
    return True


class ArtifactStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "sha256").mkdir(parents=True, exist_ok=True)
        (root / "tmp").mkdir(exist_ok=True)
        self.lock = BlobLock.of(root)  # claims against gc (runner.store.blob_lock)

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / "sha256" / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        """Whether the blob is stored (to read it now; to rely on it later, ``claim`` it)."""
        return self.path_for(sha256).is_file()

    def claim(self, sha256: str) -> bool:
        """Whether the blob is stored, and keep it so: a run that is about to rely on a stored
        blob (reuse, a cached hash, an input by content) claims it, and gc spares it."""
        with self.lock.shared():
            return _touch(self.path_for(sha256))

    def claim_all(self, hashes: Iterable[str]) -> bool:
        with self.lock.shared():
            return all(_touch(self.path_for(sha)) for sha in hashes)

    def _install(self, tmp: Path, sha256: str) -> Path:
        dest = self.path_for(sha256)
        with self.lock.shared():
            if _touch(dest):  # stored already: the copy goes, the stored one is claimed
                tmp.unlink()
                return dest
            dest.parent.mkdir(exist_ok=True)
            os.chmod(tmp, 0o444)
            os.replace(tmp, dest)
        return dest

    def put_file(self, src: Path, move: bool = False) -> tuple[str, int]:
        """Store a regular file (never follows a symlink); ``move`` renames it in when possible.

        A full disk raises DiskFull (runner.store.space) and leaves nothing behind."""
        fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            sha, size = self._hash_stream(fh)
        if move:
            tmp = self.root / "tmp" / f"{sha}.{os.getpid()}.move"
            try:
                os.replace(src, tmp)  # same filesystem: free
                self._install(tmp, sha)
                return sha, size
            except OSError:
                pass
        space.check(self.root, size)
        with self._partial() as out:
            shutil.copyfile(src, out.name, follow_symlinks=False)
        self._install(Path(out.name), sha)
        return sha, size

    def put_stream(self, stream: Readable, limit: int | None = None) -> tuple[str, int]:
        """Copy a byte stream in while hashing it (archive transfer extraction). Whatever ends it
        early (a full disk: DiskFull, a failed read, a cancelled download) removes the partial file."""
        digest = hashlib.sha256()
        size = 0
        with self._partial() as out:
            while chunk := stream.read(_CHUNK if limit is None else min(_CHUNK, limit - size)):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
                if limit is not None and size >= limit:
                    break
        sha = digest.hexdigest()
        self._install(Path(out.name), sha)
        return sha, size

    @contextmanager
    def _partial(self) -> Iterator[IO[bytes]]:
        """A temp file in the store, removed when filling it fails (ENOSPC raised as DiskFull)."""
        out = tempfile.NamedTemporaryFile(dir=self.root / "tmp", delete=False)  # noqa: SIM115
        try:
            with out:
                yield out
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(out.name)
            full = space.as_disk_full(exc, self.root)
            if full is not None and full is not exc:
                raise full from None
            raise

    @staticmethod
    def _hash_stream(fh: Readable) -> tuple[str, int]:
        return _hash_pipelined(fh)

    def link_into(self, sha256: str, dest: Path) -> None:
        """Place a stored file at ``dest``: hard link (free, read-only file) or copy."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        src = self._stored(sha256)
        try:
            os.link(src, dest)
        except OSError:
            shutil.copyfile(src, dest)

    def copy_out(self, sha256: str, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self._stored(sha256), dest)
        os.chmod(dest, 0o644)

    def _stored(self, sha256: str) -> Path:
        path = self.path_for(sha256)
        if not path.is_file():
            raise MissingBlob(sha256)
        return path
