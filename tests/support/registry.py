"""A tiny read-only Docker registry (HTTP API v2) on 127.0.0.1, for tests of real pulls offline.

It serves images taken from the main engine by ``docker save`` (the legacy layout of Docker
20.10: ``manifest.json``, ``<id>/layer.tar``, ``<config>.json``) as schema-2 manifests with
gzipped layers. Engines treat 127.0.0.0/8 registries as insecure (plain HTTP) by default, so
``127.0.0.1:PORT/name:tag`` pulls with no engine configuration.

It can listen in other network namespaces too (a Ray test worker's private engine has its own,
whose 127.0.0.1 is not this one's): one listening socket per namespace, all on the same port,
so one image name pulls the same everywhere.
"""

from __future__ import annotations

import contextlib
import ctypes
import gzip
import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG = "application/vnd.docker.container.image.v1+json"
LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
CLONE_NEWNET = 0x40000000

_MANIFEST = re.compile(r"^/v2/(.+)/manifests/([^/]+)$")
_BLOB = re.compile(r"^/v2/(.+)/blobs/(sha256:[0-9a-f]{64})$")


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Image:
    """One image as a registry holds it: its manifest and the blobs it names."""

    manifest: bytes
    blobs: dict[str, bytes]

    @property
    def digest(self) -> str:
        return _digest(self.manifest)

    def with_file(self, path: str, text: str) -> Image:
        """This image and one more layer holding ``path``: an image no engine has yet, whose
        file proves a container's content came from this registry."""
        data = text.encode()
        info = tarfile.TarInfo(path.lstrip("/"))
        info.size, info.mode = len(data), 0o644
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            tar.addfile(info, io.BytesIO(data))
        layer = gzip.compress(raw.getvalue(), compresslevel=1, mtime=0)
        manifest = json.loads(self.manifest)
        config = json.loads(self.blobs[manifest["config"]["digest"]])
        config["rootfs"]["diff_ids"].append(_digest(raw.getvalue()))
        config.setdefault("history", []).append({"created_by": f"tests/support/registry.py: {path}"})
        config_blob = json.dumps(config).encode()
        manifest["config"] = {"mediaType": CONFIG, "size": len(config_blob), "digest": _digest(config_blob)}
        manifest["layers"].append({"mediaType": LAYER, "size": len(layer), "digest": _digest(layer)})
        blobs = {**self.blobs, _digest(config_blob): config_blob, _digest(layer): layer}
        return Image(json.dumps(manifest, indent=2).encode(), blobs)

    @classmethod
    def saved(cls, image: str) -> Image:
        """``image`` of the main engine, from its ``docker save`` archive."""
        done = subprocess.run(["docker", "save", image], capture_output=True, timeout=300, check=True)
        with tarfile.open(fileobj=io.BytesIO(done.stdout)) as tar:

            def member(name: str) -> bytes:
                extracted = tar.extractfile(name)
                assert extracted is not None, f"{name} missing from docker save {image}"
                return extracted.read()

            (entry,) = json.loads(member("manifest.json"))
            config = member(entry["Config"])
            layers = [gzip.compress(member(path), compresslevel=1, mtime=0) for path in entry["Layers"]]
        blobs = {_digest(blob): blob for blob in [config, *layers]}
        manifest = {
            "schemaVersion": 2,
            "mediaType": MANIFEST_V2,
            "config": {"mediaType": CONFIG, "size": len(config), "digest": _digest(config)},
            "layers": [{"mediaType": LAYER, "size": len(b), "digest": _digest(b)} for b in layers],
        }
        return cls(json.dumps(manifest, indent=2).encode(), blobs)


@dataclass
class Registry:
    """Serves ``images`` (``"repo/name:tag"`` -> Image) until ``close``; ``requests`` lists the
    ``(method, path)`` of every request it answered."""

    images: dict[str, Image]
    port: int = 0
    requests: list[tuple[str, str]] = field(default_factory=list)
    _servers: list[ThreadingHTTPServer] = field(default_factory=list)

    def name(self, image: str) -> str:
        """The pullable name of one of ``images`` (or of a name it does not have)."""
        return f"127.0.0.1:{self.port}/{image}"

    def serve(self, netns: Path | None = None) -> Registry:
        """Listens on 127.0.0.1 of this namespace, or of the one ``netns`` names
        (``/proc/PID/ns/net``; needs root), on the port of the first call."""
        made: list[ThreadingHTTPServer | BaseException] = []
        # Entering a namespace changes only the calling thread's: a thread of its own, gone after.
        thread = threading.Thread(target=lambda: made.append(self._listen(netns)))
        thread.start()
        thread.join()
        if isinstance(made[0], BaseException):
            raise made[0]
        server = made[0]
        self.port = server.server_address[1]
        self._servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def _listen(self, netns: Path | None) -> ThreadingHTTPServer | BaseException:
        try:
            if netns is not None:
                # A fresh namespace's loopback is down: up, or nothing in it reaches 127.0.0.1.
                subprocess.run(["nsenter", f"--net={netns}", "ip", "link", "set", "lo", "up"], check=True)
                libc = ctypes.CDLL(None, use_errno=True)
                with open(netns, "rb") as ns:
                    if libc.setns(ns.fileno(), CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), f"setns {netns}: {os.strerror(ctypes.get_errno())}")
            server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self))
            server.daemon_threads = True
            return server
        except BaseException as exc:  # handed to serve's thread
            return exc

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def lookup(self, name: str, reference: str) -> Image | None:
        for tagged, image in self.images.items():
            repo, _, tag = tagged.rpartition(":")
            if repo == name and reference in (tag, image.digest):
                return image
        return None


def _handler(registry: Registry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass  # the tests read ``requests`` instead of stderr

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def do_GET(self) -> None:
            self._answer(body=True)

        def _answer(self, body: bool) -> None:
            registry.requests.append((self.command, self.path))
            path = self.path.split("?", 1)[0]
            if path in ("/v2", "/v2/"):
                return self._send(200, b"{}", "application/json", body)
            manifest, blob = _MANIFEST.match(path), _BLOB.match(path)
            if manifest:
                name, reference = manifest.groups()
                image = registry.lookup(name, reference)
                if image is None:
                    detail = f"the test registry has no image {name}:{reference}"
                    return self._error(404, "MANIFEST_UNKNOWN", detail, body)
                return self._send(200, image.manifest, MANIFEST_V2, body, image.digest)
            if blob:
                digest = blob.group(2)
                data = next((i.blobs[digest] for i in registry.images.values() if digest in i.blobs), None)
                if data is None:
                    return self._error(404, "BLOB_UNKNOWN", f"the test registry has no blob {digest}", body)
                return self._send(200, data, "application/octet-stream", body, digest)
            return self._error(404, "NAME_UNKNOWN", f"the test registry does not serve {path}", body)

        def _error(self, status: int, code: str, message: str, body: bool) -> None:
            text = json.dumps({"errors": [{"code": code, "message": message, "detail": None}]})
            self._send(status, text.encode(), "application/json", body)

        def _send(self, status: int, data: bytes, kind: str, body: bool, digest: str = "") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Docker-Distribution-API-Version", "registry/2.0")
            if digest:
                self.send_header("Docker-Content-Digest", digest)
                self.send_header("ETag", f'"{digest}"')
            self.end_headers()
            if body:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

    return Handler
