"""Terminal sessions in a container through the Docker API (the local engine, or a remote one over
its SSH connection: the same calls, nothing installed on the host).

``TerminalSession`` is what a terminal (the CLI's raw tty, the designer's terminal widget) talks
to: bytes in, bytes out, a size, an exit status. Two kinds: ``ExecTerminal`` (``docker exec`` in a
running node's container) and ``ContainerTerminal`` (a debug container whose main process is the
shell; removed when it ends). ``run_command`` is the non-interactive form: output and status.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from typing import Any, Protocol

import docker.errors

# bash when the image has it (history, line editing), else the POSIX sh every image has.
SHELL_ARGV = ["/bin/sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi"]
TERM_ENV = {"TERM": "xterm-256color"}


class TerminalSession(Protocol):
    banner: str

    def write(self, data: bytes) -> None: ...

    def read(self) -> bytes:
        """Blocks for the next output; b"" once the session has ended."""
        ...

    def resize(self, rows: int, cols: int) -> None: ...

    def exit_code(self, timeout: float = 5.0) -> int | None: ...

    def close(self) -> None: ...


def _raw(sock: Any) -> Any:
    """The socket under the SDK's hijacked response (a socket, or a paramiko channel over SSH).
    The local engine's is a read-only ``SocketIO`` (``makefile("rb")``): writing the shell's
    keys needs the socket itself, as docker-py's own interactive users do."""
    return getattr(sock, "_sock", sock)


class _Hijacked:
    """Reading and writing the upgraded HTTP connection of an exec or attach with a tty."""

    def __init__(self, sock: Any) -> None:
        self._keep = sock  # holds the SDK response alive
        self._sock = _raw(sock)
        self._closed = False

    def write(self, data: bytes) -> None:
        if self._closed:
            return
        try:
            self._sock.sendall(data)
        except OSError:
            self._closed = True

    def read(self) -> bytes:
        if self._closed:
            return b""
        try:
            data: bytes = self._sock.recv(65536)
        except (OSError, EOFError):
            data = b""
        if not data:
            self._closed = True
        return data

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(Exception):
            self._sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(Exception):
            self._sock.close()


class _Attached:
    """A shell's terminal over a hijacked socket; the kinds differ in how it starts, resizes, ends."""

    _io: _Hijacked

    def write(self, data: bytes) -> None:
        self._io.write(data)

    def read(self) -> bytes:
        return self._io.read()


class ExecTerminal(_Attached):
    """An interactive shell (``docker exec -it``) in a running container: its working directory
    and environment are the container's own."""

    def __init__(self, client: Any, container: Any, banner: str = "", argv: list[str] | None = None) -> None:
        self.banner = banner
        self._api = client.api
        self._exec = self._api.exec_create(
            container.id, argv or SHELL_ARGV, stdin=True, tty=True, environment=TERM_ENV
        )["Id"]
        self._io = _Hijacked(self._api.exec_start(self._exec, tty=True, socket=True))

    def resize(self, rows: int, cols: int) -> None:
        with contextlib.suppress(docker.errors.APIError):
            self._api.exec_resize(self._exec, height=rows, width=cols)

    def exit_code(self, timeout: float = 5.0) -> int | None:
        with contextlib.suppress(docker.errors.APIError):
            code = self._api.exec_inspect(self._exec).get("ExitCode")
            return None if code is None else int(code)
        return None

    def close(self) -> None:
        self._io.close()


class ContainerTerminal(_Attached):
    """A created (not started) container whose main process is the shell: attached, started,
    and removed (auto-remove) when the shell ends or the connection drops (stdin closes)."""

    def __init__(
        self, client: Any, container: Any, banner: str = "", cleanup: Callable[[], None] | None = None
    ):
        self.banner = banner
        self._api = client.api
        self._container = container
        self._cleanup = cleanup
        self._code: list[int | None] = []
        self._waited = threading.Event()
        threading.Thread(target=self._wait, daemon=True).start()  # before start: no exit is missed
        params = {"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
        self._io = _Hijacked(self._api.attach_socket(container.id, params=params))
        try:
            container.start()
        except Exception:
            self.close()
            raise

    def _wait(self) -> None:
        try:
            result = self._api.wait(self._container.id, condition="removed")
            self._code.append(int(result.get("StatusCode", -1)))
        except Exception:
            self._code.append(None)
        finally:
            self._waited.set()

    def resize(self, rows: int, cols: int) -> None:
        with contextlib.suppress(docker.errors.APIError):
            self._api.resize(self._container.id, height=rows, width=cols)

    def exit_code(self, timeout: float = 5.0) -> int | None:
        self._waited.wait(timeout)
        return self._code[0] if self._code else None

    def close(self) -> None:
        self._io.close()
        with contextlib.suppress(docker.errors.APIError):
            self._container.remove(force=True)
        if self._cleanup is not None:
            self._cleanup()
            self._cleanup = None


Sink = Callable[[str, bytes], None]  # (stream, data): "stdout" or "stderr"


def exec_command(client: Any, container: Any, argv: list[str], sink: Sink) -> int:
    """``docker exec`` of ``argv`` in a running container; output to ``sink``; its exit status."""
    api = client.api
    exec_id = api.exec_create(container.id, argv, stdout=True, stderr=True)["Id"]
    for out, err in api.exec_start(exec_id, stream=True, demux=True):
        if out:
            sink("stdout", out)
        if err:
            sink("stderr", err)
    code = api.exec_inspect(exec_id).get("ExitCode")
    return -1 if code is None else int(code)


def run_container(client: Any, container: Any, sink: Sink) -> int:
    """Start a created container (its command is the user's), stream its output, remove it."""
    api = client.api
    try:
        stream = api.attach(container.id, stdout=True, stderr=True, stream=True, logs=True, demux=True)
        container.start()
        for out, err in stream:
            if out:
                sink("stdout", out)
            if err:
                sink("stderr", err)
        return int(container.wait().get("StatusCode", -1))
    finally:
        with contextlib.suppress(docker.errors.APIError):
            container.remove(force=True)
