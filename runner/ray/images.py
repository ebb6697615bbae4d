"""Images for the cluster's workers: shipped from this machine when they exist only here,
otherwise pulled by each worker.

An image that the local engine has and that came from no registry (no repo digest: built
here, or loaded) is sent once per run to the head (``docker save``, by SFTP) and put into the
object store; a worker loads it only when its own engine lacks that image id, so each worker
gets it once. Every other image is pulled by the worker that needs it.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runner.ray.link import DriverLink

MB = 1 << 20


class ImageShipper:
    def __init__(self, link: DriverLink, local_client: Any, workroot: Path) -> None:
        self.link, self.local_client, self.workroot = link, local_client, workroot
        self._done: dict[str, str | None] = {}  # image -> the id the workers run (None: pulled)
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def local_id(self, image: str) -> str | None:
        """The local engine's id of ``image`` if it exists here only (never pulled from a registry)."""
        if self.local_client is None:
            return None
        try:
            found = self.local_client.images.get(image)
        except Exception:  # not here, or no local engine
            return None
        return None if found.attrs.get("RepoDigests") else str(found.id)

    def prepare(self, image: str, note: Callable[[str], None]) -> str | None:
        """The image id the node's task must find or load (None: the worker pulls ``image``);
        ships the image to the head first when a worker lacks it."""
        with self._lock:
            lock = self._locks.setdefault(image, threading.Lock())
        with lock:  # a fan-out of one image sends it once
            if image in self._done:
                return self._done[image]
            ident = self.local_id(image)
            if ident is not None:
                missing = self.link.request("images", image=image, id=ident)["missing"]
                if missing:
                    self._send(image, ident, len(missing), note)
            self._done[image] = ident
            return ident

    def _send(self, image: str, ident: str, workers: int, note: Callable[[str], None]) -> None:
        name = f"image-{ident.removeprefix('sha256:')[:24]}.tar"
        t0 = time.monotonic()
        with tempfile.TemporaryFile(dir=self.workroot) as tarball:
            for chunk in self.local_client.api.get_image(image, chunk_size=MB):  # saved with its tag
                tarball.write(chunk)
            size = tarball.tell()
            tarball.seek(0)
            note(f"sending image {image} ({size / MB:.1f} MB) to the cluster for {workers} worker node(s)")
            try:
                self.link.put(tarball, name)
                self.link.request("load", id=ident, file=name, timeout=600)
            finally:
                with contextlib.suppress(Exception):
                    self.link.remove(name)
        note(f"image {image} is in the cluster's object store ({time.monotonic() - t0:.1f} s)")
