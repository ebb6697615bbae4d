"""The dead-man switch: a step stops within seconds of its runner dying, however it died.

A runner killed with SIGKILL, by the OOM killer or a power cut cannot stop its containers.
So each step runs under ``pd-watchdog`` (``watchdog.c``, a static binary of a few KB with no
libc, for x86_64 and aarch64), placed in the container at ``/valohai/runner/pd-watchdog``:
docker-init stays PID 1, the watchdog forks a monitor and then *becomes* the step (exec), so
the step's pid, environment, working directory, stdout/stderr, exit status and signals are
what they were without it (docs/runtime.md), and its standard input is /dev/null as before.
The monitor reads the container's standard input, which is the runner's heartbeat: a byte a
second over the attach connection (``attach`` here). When that connection closes -- the runner
process is gone, or the SSH connection to a remote host dropped -- or no byte came for
``timeout()`` seconds (the runner's machine lost power or froze), the monitor sends the step
SIGTERM, then SIGKILL after ``GRACE`` seconds, and the container stops.

A backend reuses it in three steps: ``Watchdog.for_arch(arch)`` (None: no binary for that
architecture, the step runs without a switch), ``watchdog.wrap(argv)`` as the program it
starts with its standard input connected to the runner, and ``Heartbeat(send, until)`` on the
runner's end of that connection. The Docker backends do it in ``arm_args``/``attach``; the
local-process backend with a pipe.
"""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CONTAINER_PATH = "/valohai/runner/pd-watchdog"
TIMEOUT_ENV = "PIPELINE_DESIGNER_DEADMAN_TIMEOUT"  # seconds without a heartbeat; 0 turns it off
DEFAULT_TIMEOUT = 6.0
BEAT = 1.0  # seconds between heartbeats
GRACE = 2.0  # seconds between the monitor's SIGTERM and SIGKILL
# Image architectures (Docker's names, and platform.machine()'s) -> binary.
_BINARIES = {
    "amd64": "pd-watchdog-amd64",
    "x86_64": "pd-watchdog-amd64",
    "arm64": "pd-watchdog-arm64",
    "aarch64": "pd-watchdog-arm64",
}


def timeout() -> float:
    """Seconds without a heartbeat before a step is stopped (``PIPELINE_DESIGNER_DEADMAN_TIMEOUT``;
    raise it for a flaky link to a remote host, 0 turns the switch off)."""
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    try:
        value = float(text) if text else DEFAULT_TIMEOUT
    except ValueError:
        return DEFAULT_TIMEOUT
    return max(value, 0.0)


@dataclass(frozen=True)
class Watchdog:
    binary: Path  # on this machine
    timeout: float

    @classmethod
    def for_arch(cls, arch: str) -> Watchdog | None:
        """The watchdog for an image of ``arch`` (None: none built for it, or switched off)."""
        name = _BINARIES.get(arch.lower())
        limit = timeout()
        if name is None or limit <= 0 or not (HERE / name).is_file():
            return None
        return cls(HERE / name, limit)

    @classmethod
    def for_this_machine(cls) -> Watchdog | None:
        """For local processes (Linux only: the binary makes Linux system calls)."""
        return cls.for_arch(platform.machine()) if platform.system() == "Linux" else None

    def wrap(self, argv: list[str], path: str = CONTAINER_PATH) -> list[str]:
        """``argv`` run under the watchdog found at ``path`` (in the container, or this binary)."""
        ms = str(max(int(self.timeout * 1000), 1))
        return [path, ms, str(int(GRACE * 1000)), "--", *argv]


class Heartbeat:
    """The runner's end: ``send(b"\\n")`` every BEAT seconds on a thread of its own until
    ``until(BEAT)`` is true (it waits that long and says whether the step has ended); then
    ``close()``. A failed send stops the beats: the connection is gone, the monitor sees it too."""

    def __init__(
        self, send: Callable[[bytes], Any], until: Callable[[float], bool], close: Callable[[], Any]
    ) -> None:
        self._send, self._until, self._close = send, until, close
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._until(BEAT):
                self._send(b"\n")
        except Exception:  # the connection is gone: nothing more to send on it, but the step's
            while not self._until(BEAT):  # last output may still be read from it
                pass
        with contextlib.suppress(Exception):
            self._close()


# --- Docker: the container's arguments and its attach connection -----------------------------


def image_arch(client: Any, image: str) -> str:
    try:
        return str(client.images.get(image).attrs.get("Architecture") or "")
    except Exception:  # unknown: no switch rather than a failed launch
        return ""


def arm_args(watchdog: Watchdog | None, argv: list[str]) -> dict[str, Any]:
    """``containers.create`` arguments for ``argv`` under the watchdog: its standard input open
    and closed when the runner's attach connection ends (StdinOnce, set by ``detach=False``)."""
    if watchdog is None:
        return {"command": argv, "detach": True}
    return {"command": watchdog.wrap(argv), "stdin_open": True, "detach": False}


def armed(container: Any) -> bool:
    """Whether the container was created by ``arm_args`` with a watchdog."""
    config = (getattr(container, "attrs", None) or {}).get("Config") or {}
    return bool(config.get("OpenStdin")) and CONTAINER_PATH in (config.get("Cmd") or [])[:1]


def attach(api: Any, container_id: str, until: Callable[[float], bool]) -> Any:
    """Attach to stdin, stdout and stderr on one connection (before start: no output is missed)
    and return it, Docker's multiplexed stdout/stderr to be read from it
    (runner.execution.attach_stream), while a Heartbeat writes to the container's standard
    input until ``until``."""
    params = {"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1, "logs": 1}
    sock = api.attach_socket(container_id, params=params)
    if hasattr(sock, "sendall"):  # an SSH channel
        Heartbeat(sock.sendall, until, lambda: None)
    else:  # the local engine's socket, as a read-only file: written through a socket of its own
        writer = socket.socket(fileno=os.dup(sock.fileno()))
        Heartbeat(writer.sendall, until, writer.close)
    return sock
