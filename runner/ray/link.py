"""The runner's end of the driver: started on the head over SSH, spoken to in protocol lines.

    link = DriverLink(host, connect(host))     # a registered ray+ssh:// host
    ready = link.start()                      # ships the driver (once per version), waits for Ray
    link.request("nodes")["nodes"]            # a reply, or RayClusterError with the driver's reason
    link.on_unit("train", callback); link.send("submit", unit="train", ...)
    link.put(fileobj, "x.tar"); link.fetch("x.tar") -> a file object; link.remove("x.tar")

The driver's Python is the host's ``ray_python``, else the interpreter of the head's ``ray``
command (the cluster's own), else ``python3``. Everything the driver prints that is not a
protocol line (its stderr) is kept, and its end is part of the error when the driver dies.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import IO, Any

from runner.hosts.connection import Connection
from runner.hosts.errors import HostError
from runner.hosts.registry import HostConfig
from runner.ray.bundle import driver_name, driver_zip
from runner.ray.remote import protocol

CACHE_DIR = ".cache/pipeline-designer/ray"  # on the head, under the user's home
START_TIMEOUT = 120.0  # connecting to a busy cluster can take a while
Callback = Callable[[dict[str, Any]], None]
# The head's interpreter for the driver: what the `ray` command runs on, else python3.
_FIND_PYTHON = (
    'r="$(command -v ray 2>/dev/null)"; '
    'if [ -n "$r" ]; then l="$(head -n 1 "$r")"; '
    'case "$l" in "#!"*python*) echo "${l#\\#!}"; exit;; esac; fi; '
    "command -v python3"
)


class RayClusterError(HostError):
    """The cluster or its driver failed; the message names the cluster and the reason."""


class DriverLink:
    def __init__(self, host: HostConfig, conn: Connection) -> None:
        self.host, self.conn = host, conn
        self.ready: dict[str, Any] = {}
        self.on_nodes: Callback | None = None
        self._units: dict[str, Callback] = {}
        self._replies: dict[int, Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._stderr: deque[str] = deque(maxlen=30)
        self._started: Future[dict[str, Any]] = Future()
        self._lost = ""
        self.proc: Any = None

    # --- start ---------------------------------------------------------------------------------
    def start(self, timeout: float = START_TIMEOUT) -> dict[str, Any]:
        python = self.host.ray_python or self._find_python()
        path = self._ship()
        argv = [python, path, "--address", self.host.ray_address or "auto"]
        self.proc = self.conn.start(argv)
        threading.Thread(target=self._read, name=f"ray-driver-{self.host.name}", daemon=True).start()
        threading.Thread(target=self._read_stderr, name=f"ray-stderr-{self.host.name}", daemon=True).start()
        try:
            self.ready = self._started.result(timeout)
        except TimeoutError:
            self.close()
            raise RayClusterError(
                f"{self._where()}: the driver did not connect to Ray within {timeout:g} s{self._tail()}"
            ) from None
        if self.ready.get("version") != protocol.VERSION:
            self.close()
            raise RayClusterError(f"{self._where()}: driver protocol {self.ready.get('version')} is not ours")
        return self.ready

    def _where(self) -> str:
        return f"Ray cluster {self.host.name!r} ({self.host.url})"

    def _find_python(self) -> str:
        found = self.conn.run(["sh", "-c", _FIND_PYTHON], timeout=30).text.strip().splitlines()
        if not found:
            raise RayClusterError(
                f"{self._where()}: no `ray` command and no python3 on the head; "
                "give the cluster's Python with `hosts add ... --ray-python PATH`"
            )
        return found[-1].strip().split()[0]

    def _ship(self) -> str:
        """The driver zip in the head's cache (sent only when this version is not there yet)."""
        name = f"{CACHE_DIR}/{driver_name()}"
        self.conn.run(["mkdir", "-p", CACHE_DIR], timeout=30).check(self.host.name)
        with contextlib.closing(self.conn.sftp()) as sftp:
            try:
                sftp.stat(name)
            except OSError:
                part = f"{name}.part"
                with sftp.open(part, "wb") as fh:
                    fh.write(driver_zip())
                sftp.posix_rename(part, name)
        return name

    # --- messages ------------------------------------------------------------------------------
    def send(self, op: str, **fields: Any) -> None:
        if self._lost:
            raise RayClusterError(self._lost)
        data = protocol.encode({"op": op, **fields})
        with self._write_lock:
            try:
                self.proc.write(data)
            except OSError as exc:
                raise RayClusterError(f"{self._where()}: the driver is gone ({exc})") from None

    def request(self, op: str, timeout: float = 180.0, **fields: Any) -> dict[str, Any]:
        req = next(self._ids)
        future: Future[dict[str, Any]] = Future()
        with self._lock:
            self._replies[req] = future
        try:
            self.send(op, req=req, **fields)
            reply = future.result(timeout)
        except TimeoutError:
            raise RayClusterError(f"{self._where()}: no answer to {op!r} within {timeout:g} s") from None
        finally:
            with self._lock:
                self._replies.pop(req, None)
        if reply.get("error"):
            raise RayClusterError(f"{self._where()}: {op} failed: {reply['error']}")
        return reply

    def on_unit(self, unit: str, callback: Callback) -> None:
        with self._lock:
            self._units[unit] = callback

    def drop(self, unit: str) -> None:
        with self._lock:
            self._units.pop(unit, None)

    def _read(self) -> None:
        try:
            for line in self.proc.lines():
                try:
                    message = json.loads(line)
                except ValueError:
                    self._stderr.append(line)
                    continue
                self._dispatch(message)
        except Exception as exc:  # the channel broke
            self._stderr.append(str(exc))
        self._gone()

    def _dispatch(self, message: dict[str, Any]) -> None:
        ev = message.get("ev")
        if ev == "reply":
            with self._lock:
                future = self._replies.get(message.get("req", -1))
            if future is not None and not future.done():
                future.set_result(message)
        elif ev == "ready" or ev == "fatal":
            if ev == "fatal":
                self._started.set_exception(RayClusterError(f"{self._where()}: {message.get('error')}"))
            elif not self._started.done():
                self._started.set_result(message)
        elif ev == "nodes":
            self.ready["nodes"] = message["nodes"]
            if self.on_nodes is not None:
                self.on_nodes(message["nodes"])
        elif "unit" in message:
            with self._lock:
                callback = self._units.get(message["unit"])
            if callback is not None:
                callback(message)

    def _read_stderr(self) -> None:
        pending = b""
        with contextlib.suppress(Exception):
            while chunk := self.proc.read_stderr():
                pending += chunk
                *lines, pending = pending.split(b"\n")
                self._stderr.extend(x.decode("utf-8", "replace") for x in lines if x.strip())

    def _tail(self) -> str:
        lines = [x for x in self._stderr if x.strip()]
        return (": " + " | ".join(lines[-3:])[-600:]) if lines else ""

    def _gone(self) -> None:
        """The driver ended: every waiting request and unit learns why."""
        why = self.conn.lost_reason or "its SSH channel closed"
        self._lost = f"{self._where()}: lost the driver on the head ({why}){self._tail()}"
        if not self._started.done():
            self._started.set_exception(RayClusterError(self._lost))
        with self._lock:
            replies, units = list(self._replies.values()), list(self._units.items())
            self._units.clear()
        for future in replies:
            if not future.done():
                future.set_result({"error": self._lost})
        for unit, callback in units:
            callback({"ev": "done", "unit": unit, "exit_code": None, "error": self._lost})

    # --- files in the driver's work folder -----------------------------------------------------
    def _path(self, name: str) -> str:
        return f"{self.ready['workdir']}/{name}"

    def put(self, fileobj: IO[bytes], name: str, callback: Callable[[int, int], None] | None = None) -> None:
        with contextlib.closing(self.conn.sftp()) as sftp:
            sftp.putfo(fileobj, self._path(name), callback=callback, confirm=True)

    @contextlib.contextmanager
    def fetch(self, name: str) -> Iterator[IO[bytes]]:
        """A file of the work folder, read ahead (SFTP's prefetch: no round trip per block)."""
        with contextlib.closing(self.conn.sftp()) as sftp, sftp.open(self._path(name), "rb") as fh:
            fh.prefetch()
            yield fh  # type: ignore[misc]

    def remove(self, name: str) -> None:
        with contextlib.suppress(Exception), contextlib.closing(self.conn.sftp()) as sftp:
            sftp.remove(self._path(name))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.send("exit")
        if self.proc is not None:
            with contextlib.suppress(Exception):
                self.proc.close_stdin()
                self.proc.wait(15)
            self.proc.close()
