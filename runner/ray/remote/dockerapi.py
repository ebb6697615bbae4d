"""The worker's Docker engine through its HTTP API (the socket the node's ``DOCKER_HOST`` names).

A worker needs Ray and a Docker engine, nothing of ours: so no Docker SDK here, only the
standard library's HTTP client on the engine's unix socket (or plain ``tcp://``). A call costs
milliseconds where the ``docker`` CLI costs a process start each. Failures raise
``DockerError`` with the engine's own message.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import struct
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple
from urllib.parse import quote, urlencode, urlsplit

API = "/v1.41"  # Docker 20.10 and later
DEFAULT_HOST = "unix:///var/run/docker.sock"


class DockerError(RuntimeError):
    pass


class NotFound(DockerError):
    pass


def engine_address() -> str:
    return os.environ.get("DOCKER_HOST") or DEFAULT_HOST


class _UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: Optional[float]) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def _connection(timeout: Optional[float]) -> http.client.HTTPConnection:
    address = engine_address()
    if address.startswith("unix://"):
        return _UnixHTTP(address[len("unix://") :], timeout)
    parts = urlsplit(address)
    if parts.scheme == "tcp" and parts.hostname:
        return http.client.HTTPConnection(parts.hostname, parts.port or 2375, timeout=timeout)
    raise DockerError(
        "DOCKER_HOST {!r}: only unix:// and tcp:// engines are supported on a worker".format(address)
    )


def _error(status: int, body: bytes) -> DockerError:
    try:
        text = str(json.loads(body.decode("utf-8")).get("message", ""))
    except ValueError:
        text = body.decode("utf-8", "replace").strip()
    return (NotFound if status == 404 else DockerError)(text or "HTTP {}".format(status))


def call(
    method: str,
    path: str,
    body: Any = None,
    query: Optional[Dict[str, Any]] = None,
    timeout: Optional[float] = 300,
    raw: bool = False,
) -> Any:
    """One API call: the decoded JSON answer (bytes with ``raw``); ``body``: JSON or bytes."""
    url = API + path + ("?" + urlencode(query) if query else "")
    headers = {}
    if isinstance(body, (bytes, bytearray)):
        headers["Content-Type"] = "application/x-tar"
    elif body is not None:
        body, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    conn = _connection(timeout)
    try:
        try:
            conn.request(method, url, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except OSError as exc:
            raise DockerError(
                "the Docker engine at {} did not answer: {}".format(engine_address(), exc)
            ) from None
    finally:
        conn.close()
    if response.status >= 400:
        raise _error(response.status, data)
    if raw:
        return data
    return json.loads(data.decode("utf-8")) if data.strip() else None


def stream(method: str, path: str, query: Optional[Dict[str, Any]] = None) -> Iterator[Dict[str, Any]]:
    """A streamed answer of one JSON object per line (pull progress, stats)."""
    conn = _connection(None)
    try:
        conn.request(method, API + path + ("?" + urlencode(query) if query else ""))
        response = conn.getresponse()
        if response.status >= 400:
            raise _error(response.status, response.read())
        while True:
            line = response.readline()
            if not line:
                return
            if line.strip():
                yield json.loads(line)
    finally:
        conn.close()


def _q(name: str) -> str:
    return quote(name, safe="")


def engine_version() -> str:
    return str(call("GET", "/version", timeout=30).get("Version", ""))


def attaches_gpus() -> bool:
    """Whether GPU device requests work: the engine registers its NVIDIA driver only where the
    container toolkit is installed (its hook, or an ``nvidia`` runtime)."""
    import shutil

    if shutil.which("nvidia-container-runtime-hook") or shutil.which("nvidia-ctk"):
        return True
    return "nvidia" in (call("GET", "/info", timeout=30).get("Runtimes") or {})


def image(name: str) -> Optional[Dict[str, Any]]:
    try:
        return call("GET", "/images/{}/json".format(_q(name)), timeout=60)  # type: ignore[no-any-return]
    except NotFound:
        return None


def image_id(name: str) -> Optional[str]:
    found = image(name)
    return str(found["Id"]) if found else None


def image_env(name: str, variable: str) -> str:
    """A variable of the image's own environment ("" if unset)."""
    for entry in ((image(name) or {}).get("Config") or {}).get("Env") or []:
        if entry.startswith(variable + "="):
            return str(entry.partition("=")[2])
    return ""


def load(data: bytes) -> None:
    call("POST", "/images/load", data, {"quiet": 1}, timeout=1800, raw=True)


def pull(name: str, note: Callable[[str], None]) -> None:
    repo, _, tag = name.rpartition(":") if ":" in name.rsplit("/", 1)[-1] else (name, "", "latest")
    for event in stream("POST", "/images/create", {"fromImage": repo, "tag": tag}):
        if event.get("error"):
            raise DockerError("pulling {} failed: {}".format(name, event["error"]))
        status = str(event.get("status", ""))
        if status.startswith(("Pull complete", "Status:", "Digest:")):
            note(
                "pulling {}: {}{}".format(name, event.get("id", "") + " " if event.get("id") else "", status)
            )


def create(task: Dict[str, Any], env: Dict[str, str], gpu_ids: List[str]) -> str:
    host: Dict[str, Any] = {"Init": bool(task.get("init", True))}  # a tiny PID 1 forwards SIGTERM
    if task.get("network"):
        host["NetworkMode"] = task["network"]
    if gpu_ids:  # exactly the GPUs Ray gave this task (docker run --gpus '"device=0,2"')
        host["DeviceRequests"] = [{"Driver": "nvidia", "DeviceIDs": gpu_ids, "Capabilities": [["gpu"]]}]
    config = {
        "Image": task["image"],
        "Cmd": task["argv"],
        "Entrypoint": [],  # the image's entrypoint cleared, as for every backend
        "WorkingDir": task["workdir"],
        "Env": ["{}={}".format(k, v) for k, v in env.items()],
        "Labels": task["labels"],
        "AttachStdin": True,
        "AttachStdout": True,
        "AttachStderr": True,
        "OpenStdin": True,
        "StdinOnce": True,  # stdin closes when our attach connection does (task.SUPERVISE)
        "HostConfig": host,
    }
    try:
        return str(call("POST", "/containers/create", config, {"name": task["name"]}, timeout=120)["Id"])
    except DockerError as exc:
        if "is already in use" not in str(exc):
            raise
    remove(task["name"])  # a leftover of an interrupted run of the same id
    return str(call("POST", "/containers/create", config, {"name": task["name"]}, timeout=120)["Id"])


def put_archive(name: str, tarball: bytes, path: str = "/") -> None:
    call("PUT", "/containers/{}/archive".format(_q(name)), tarball, {"path": path}, timeout=1800, raw=True)


def get_archive(name: str, path: str) -> bytes:
    """``path`` of the container as a tar stream (its folder as the top-level entry)."""
    return call(
        "GET", "/containers/{}/archive".format(_q(name)), query={"path": path}, timeout=1800, raw=True
    )  # type: ignore[no-any-return]


def start(name: str) -> None:
    call("POST", "/containers/{}/start".format(_q(name)), timeout=120, raw=True)


def signal(name: str, sig: str = "TERM") -> None:
    with contextlib.suppress(DockerError):  # exited already
        call("POST", "/containers/{}/kill".format(_q(name)), query={"signal": sig}, timeout=30, raw=True)


def remove(name: str) -> None:
    with contextlib.suppress(DockerError):  # removed already
        call("DELETE", "/containers/{}".format(_q(name)), query={"force": 1}, timeout=60, raw=True)


def wait(name: str) -> int:
    return int(call("POST", "/containers/{}/wait".format(_q(name)), timeout=None).get("StatusCode", -1))


def labelled(label: str, value: str) -> List[Dict[str, Any]]:
    """Containers with ``label=value``: their names and labels."""
    filters = json.dumps({"label": ["{}={}".format(label, value)]})
    found = call("GET", "/containers/json", query={"all": 1, "filters": filters}, timeout=60) or []
    return [{"name": c["Names"][0].lstrip("/"), **(c.get("Labels") or {})} for c in found if c.get("Names")]


def attach(name: str) -> Tuple[socket.socket, Iterator[Tuple[str, bytes]]]:
    """The attach connection (stdin included: the container's stdin closes with it) and the
    (stream, bytes) of its stdout and stderr from before it starts until it ends: the engine's
    multiplexed attach stream (8-byte frame headers) on a raw socket."""
    address = engine_address()
    if not address.startswith("unix://"):
        parts = urlsplit(address)
        sock = socket.create_connection((parts.hostname or "localhost", parts.port or 2375))
    else:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(address[len("unix://") :])
    path = "{}/containers/{}/attach?stream=1&stdin=1&stdout=1&stderr=1".format(API, _q(name))
    sock.sendall(
        "POST {} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n".format(
            path
        ).encode()
    )
    reader = sock.makefile("rb")
    status = reader.readline()
    while reader.readline() not in (b"\r\n", b"\n", b""):
        pass  # the rest of the headers
    if b" 101 " not in status and b" 200 " not in status:
        sock.close()
        raise DockerError("attaching to {} failed: {}".format(name, status.decode("latin-1").strip()))
    return sock, _frames(sock, reader)


def _frames(sock: socket.socket, reader: Any) -> Iterator[Tuple[str, bytes]]:
    try:
        while True:
            header = reader.read(8)
            if len(header) < 8:
                return
            kind, size = header[0], struct.unpack(">I", header[4:])[0]
            data = reader.read(size)
            yield ("stderr" if kind == 2 else "stdout", data)
    finally:
        sock.close()


def stats(name: str) -> Iterator[Dict[str, Any]]:
    """The engine's stats frames of the container (one a second) until it stops."""
    return stream("GET", "/containers/{}/stats".format(_q(name)), {"stream": 1})
