"""Downloading an input from an http(s) URL into the artifact store, within limits.

A download ends, its partial file removed, when the run is cancelled (Ctrl-C, SIGTERM), when it
runs past its total time (``PIPELINE_DESIGNER_DOWNLOAD_TIMEOUT`` seconds, default an hour), when
the server sends nothing for ``STALL`` seconds, when it grows past the size cap
(``PIPELINE_DESIGNER_DOWNLOAD_MAX_MB``, default 50 GB) or when the disk would fill up. A watcher
thread shuts the connection down at once on a cancel or at the deadline, so a server that sends a
byte a minute cannot hold the run.
"""

from __future__ import annotations

import http.client
import os
import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.store import space
from runner.store.artifacts import ArtifactStore

Log = Callable[[str], None]
TIMEOUT_ENV = "PIPELINE_DESIGNER_DOWNLOAD_TIMEOUT"
MAX_MB_ENV = "PIPELINE_DESIGNER_DOWNLOAD_MAX_MB"
STALL = 60.0  # seconds without a byte from the server
_CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """The download did not complete; the message says why (the input's name is added by the caller)."""


@dataclass(frozen=True)
class Limits:
    seconds: float = 3600.0
    max_bytes: int = 50 * 1024 * space.MB

    @classmethod
    def from_env(cls) -> Limits:
        try:
            seconds = float(os.environ.get(TIMEOUT_ENV) or cls.seconds)
            max_bytes = int(float(os.environ.get(MAX_MB_ENV) or cls.max_bytes / space.MB) * space.MB)
        except ValueError:
            raise DownloadError(f"{TIMEOUT_ENV} and {MAX_MB_ENV} take numbers") from None
        return cls(seconds, max_bytes)


def download(
    url: str,
    artifacts: ArtifactStore,
    log: Log,
    stop: threading.Event | None = None,
    limits: Limits | None = None,
) -> tuple[str, int]:
    """(sha256, size) of the file at ``url``, now in the artifact store. DownloadError otherwise."""
    limits = limits or Limits.from_env()
    try:
        response = urllib.request.urlopen(url, timeout=min(STALL, limits.seconds))
    except OSError as exc:
        raise DownloadError(f"cannot download {url}: {exc}") from exc
    with response:
        total = int(response.headers.get("Content-Length") or 0)
        if total > limits.max_bytes:
            raise DownloadError(
                f"{url} is {_mb(total)}, over the download limit of {_mb(limits.max_bytes)} ({MAX_MB_ENV})"
            )
        try:
            space.check(artifacts.root, total)
        except space.DiskFull as exc:
            raise DownloadError(str(exc)) from None
        watch = _Watch(response, stop, time.monotonic() + limits.seconds, limits.seconds)
        reader = _Reader(response, total, limits.max_bytes, artifacts.root, watch, log)
        try:
            return artifacts.put_stream(reader)  # a partial file is removed whatever ends it
        except DownloadError:
            raise
        except (OSError, ValueError, http.client.HTTPException) as exc:  # shut down by the watch, or lost
            why = watch.why or (
                str(exc) if isinstance(exc, space.DiskFull) else f"cannot download {url}: {exc}"
            )
            raise DownloadError(why) from None
        finally:
            watch.close()


class _Watch:
    """Shuts the connection down when the run is cancelled or the deadline passes."""

    def __init__(self, response: Any, stop: threading.Event | None, deadline: float, seconds: float) -> None:
        self.why = ""
        self._response, self._stop, self._deadline, self._seconds = response, stop, deadline, seconds
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="download-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.is_set():
            if self._stop is not None and self._stop.is_set():
                self._end("the download was cancelled (the run is stopping)")
                return
            if time.monotonic() > self._deadline:
                self._end(f"the download took longer than {self._seconds:g} s ({TIMEOUT_ENV})")
                return
            self._done.wait(0.1)

    def _end(self, why: str) -> None:
        self.why = why
        try:  # wakes a read blocked in recv() at once; the dup is closed, the connection stays ours
            with socket.socket(fileno=os.dup(self._response.fileno())) as sock:
                sock.shutdown(socket.SHUT_RDWR)
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        self._done.set()
        self._thread.join(1)


class _Reader:
    """What put_stream reads: the response as it arrives, counted against the limits, with a
    progress line about once a second."""

    def __init__(self, raw: Any, total: int, max_bytes: int, root: Path, watch: _Watch, log: Log) -> None:
        self._raw, self._total, self._max, self._root, self._watch, self._log = (
            raw,
            total,
            max_bytes,
            root,
            watch,
            log,
        )
        self._done = 0
        self._last = time.monotonic()

    def read(self, n: int = -1) -> bytes:
        if self._watch.why:
            raise DownloadError(self._watch.why)
        read1 = getattr(self._raw, "read1", None)
        chunk: bytes = read1(min(n, _CHUNK)) if read1 is not None and n > 0 else self._raw.read(n)
        if self._watch.why:
            raise DownloadError(self._watch.why)
        self._done += len(chunk)
        if self._done > self._max:
            raise DownloadError(f"the download grew past the limit of {_mb(self._max)} ({MAX_MB_ENV})")
        if chunk and space.free_bytes(self._root) < len(chunk) + space.RESERVE:  # before it fills the disk
            raise DownloadError(
                str(space.DiskFull(self._root, self._done + space.RESERVE, space.free_bytes(self._root)))
            )
        now = time.monotonic()
        if now - self._last >= 1.0 and chunk:
            self._last = now
            if self._total:
                filled = int(20 * self._done / self._total)
                pct = 100 * self._done // self._total
                self._log(f"[{'#' * filled}{'.' * (20 - filled)}] {pct}% of {self._total} bytes")
            else:
                self._log(f"{self._done} bytes")
        return chunk


def _mb(n: int) -> str:
    return f"{n / space.MB:.1f} MB"
