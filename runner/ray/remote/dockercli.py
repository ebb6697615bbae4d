"""The worker's Docker engine through its ``docker`` CLI (the one the node's ``DOCKER_HOST`` names).

A worker needs Ray and a Docker engine with its CLI, nothing of ours: so no Docker SDK here.
Every call is an argument list (never a shell line); failures raise ``DockerError`` with the
CLI's own last line of stderr.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import socket
import subprocess
from typing import Any, Callable, Dict, Iterator, List, Optional

DOCKER = "docker"


class DockerError(RuntimeError):
    pass


def docker(args: List[str], input: Optional[bytes] = None, timeout: Optional[float] = 300) -> bytes:
    try:
        done = subprocess.run([DOCKER, *args], input=input, capture_output=True, timeout=timeout)
    except FileNotFoundError:
        raise DockerError("no docker CLI on this node (install Docker and its CLI)") from None
    except subprocess.TimeoutExpired:
        raise DockerError("`docker {}` did not finish within {:g} s".format(args[0], timeout or 0)) from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DockerError("`docker {}` failed: {}".format(args[0], lines[-1] if lines else done.returncode))
    return done.stdout


def engine_version() -> str:
    return docker(["version", "--format", "{{.Server.Version}}"], timeout=30).decode().strip()


def attaches_gpus() -> bool:
    """Whether ``--gpus`` works here: the engine registers its NVIDIA device driver only when
    the container toolkit's hook is installed (or an ``nvidia`` runtime is configured)."""
    if shutil.which("nvidia-container-runtime-hook") or shutil.which("nvidia-ctk"):
        return True
    try:
        return "nvidia" in docker(["info", "--format", "{{json .Runtimes}}"], timeout=30).decode()
    except DockerError:
        return False


def image_id(image: str) -> Optional[str]:
    try:
        return docker(["image", "inspect", "--format", "{{.Id}}", image], timeout=60).decode().strip()
    except DockerError:
        return None


def image_env(image: str, name: str) -> str:
    """A variable of the image's own environment ("" if unset)."""
    out = docker(["image", "inspect", "--format", "{{json .Config.Env}}", image], timeout=60)
    for entry in json.loads(out.decode() or "null") or []:
        if entry.startswith(name + "="):
            return str(entry.partition("=")[2])
    return ""


def load(data: bytes) -> None:
    docker(["load", "--quiet"], input=data, timeout=1800)


def pull(image: str, note: Callable[[str], None]) -> None:
    """``docker pull``, its progress lines as notes (at most one per layer state)."""
    proc = subprocess.Popen([DOCKER, "pull", image], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    for raw in proc.stdout:
        line = raw.decode("utf-8", "replace").strip()
        if line and ("Pull complete" in line or line.startswith(("Status:", "Digest:"))):
            note("pulling {}: {}".format(image, line))
    err = proc.stderr.read().decode("utf-8", "replace").strip().splitlines()
    if proc.wait() != 0:
        raise DockerError(
            "pulling {} failed: {}".format(image, err[-1] if err else "exit {}".format(proc.returncode))
        )


def create(task: Dict[str, Any], env: Dict[str, str], gpu_ids: List[str]) -> None:
    args = ["create", "--name", task["name"], "--entrypoint", "", "-w", task["workdir"]]
    if task.get("init", True):
        args.append("--init")  # a tiny PID 1 forwards SIGTERM to the step
    for key, value in sorted(task["labels"].items()):
        args += ["--label", "{}={}".format(key, value)]
    for key, value in env.items():
        args += ["-e", "{}={}".format(key, value)]
    if task.get("network"):
        args += ["--network", task["network"]]
    if gpu_ids:  # exactly the GPUs Ray gave this task (docker run --gpus '"device=0,2"')
        args += ["--gpus", '"device={}"'.format(",".join(gpu_ids))]
    docker([*args, task["image"], *task["argv"]], timeout=120)


def copy_in(name: str, tarball: bytes) -> None:
    docker(["cp", "-", name + ":/"], input=tarball, timeout=1800)


def copy_out(name: str, path: str) -> bytes:
    """``path`` of the container as a tar stream (its folder as the top-level entry)."""
    return docker(["cp", name + ":" + path, "-"], timeout=1800)


def stop_signal(name: str, signal: str = "TERM") -> None:
    with contextlib.suppress(DockerError):  # exited already
        docker(["kill", "--signal", signal, name], timeout=30)


def remove(name: str) -> None:
    with contextlib.suppress(DockerError):
        docker(["rm", "-f", name], timeout=60)


def wait_exit(name: str) -> int:
    return int(docker(["wait", name], timeout=None).decode().strip() or -1)


def labelled(label: str, value: str) -> List[Dict[str, str]]:
    """Containers with ``label=value``: their names and labels."""
    fmt = "{{.Names}}\t{{json .Labels}}"
    out = docker(["ps", "-a", "--no-trunc", "--filter", "label={}={}".format(label, value), "--format", fmt])
    found = []
    for line in out.decode("utf-8", "replace").splitlines():
        name, _, labels = line.partition("\t")
        if name:
            found.append({"name": name, **(json.loads(labels or "{}") or {})})
    return found


class _UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=30)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(30)
        sock.connect(self._path)
        self.sock = sock


def engine_socket() -> Optional[str]:
    """The engine's unix socket (the node's DOCKER_HOST, else the default); None for TCP/SSH."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    return host[len("unix://") :] if host.startswith("unix://") else None


def stats(name: str) -> Iterator[Dict[str, Any]]:
    """The engine's stats frames of the container (one a second) until it stops."""
    path = engine_socket()
    if path is None:
        return
    conn = _UnixHTTP(path)
    try:
        conn.request("GET", "/containers/{}/stats?stream=1".format(name))
        response = conn.getresponse()
        if response.status != 200:
            return
        while True:
            line = response.readline()
            if not line:
                return
            yield json.loads(line)
    finally:
        conn.close()
