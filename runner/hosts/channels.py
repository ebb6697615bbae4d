"""What runs over an open SSH transport: commands, interactive processes, forwarded ports.

These take a ``paramiko.Transport`` and know nothing of routes or host keys; ``Connection``
(connection.py) hands them its transport. Commands given as a list are quoted with
``shlex.join`` for the remote shell, so untrusted words never become shell syntax.
"""

from __future__ import annotations

import contextlib
import select
import shlex
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType

import paramiko

from runner.hosts.errors import HostUnreachableError, RemoteCommandError

Command = str | Sequence[str]
CHUNK = 1 << 16


def command_text(command: Command) -> str:
    """A list is quoted word by word for the remote shell; a string is sent as written."""
    return command if isinstance(command, str) else shlex.join(command)


@dataclass(frozen=True)
class Completed:
    """A finished remote command."""

    command: str
    status: int  # exit status; -1 when the connection ended before the command did
    stdout: bytes
    stderr: bytes

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    def check(self, where: str = "the host") -> Completed:
        """Raise ``RemoteCommandError`` (with the end of stderr) unless it exited with 0."""
        if self.status != 0:
            err = self.stderr.decode("utf-8", "replace").strip().splitlines()
            tail = f": {err[-1][:300]}" if err else ""
            raise RemoteCommandError(f"`{self.command}` on {where} exited with {self.status}{tail}")
        return self


class RemoteProcess:
    """A command running on the host, optionally on a pty (``docker exec -it``, a shell).

    Read its output with ``read``/``lines``, feed it with ``write``, follow a terminal with
    ``resize``; ``close`` ends the channel (a pty's process gets SIGHUP). ``fileno`` lets a
    selector wait on it.
    """

    def __init__(self, channel: paramiko.Channel, command: str) -> None:
        self.channel = channel
        self.command = command

    def write(self, data: bytes) -> None:
        self.channel.sendall(data)

    def close_stdin(self) -> None:
        self.channel.shutdown_write()

    def read(self, n: int = CHUNK, timeout: float | None = None) -> bytes:
        """Up to ``n`` bytes of stdout (b"" at its end); ``TimeoutError`` after ``timeout`` s."""
        self.channel.settimeout(timeout)
        try:
            return bytes(self.channel.recv(n))
        except TimeoutError:
            raise TimeoutError(f"no output from `{self.command}` within {timeout:g} s") from None

    def read_stderr(self, n: int = CHUNK) -> bytes:
        return bytes(self.channel.recv_stderr(n))

    def lines(self, encoding: str = "utf-8") -> Iterator[str]:
        """Lines of stdout as they come (without the newline), until the command ends."""
        pending = b""
        while chunk := self.read():
            pending += chunk
            *done, pending = pending.split(b"\n")
            for line in done:
                yield line.rstrip(b"\r").decode(encoding, "replace")
        if pending:
            yield pending.decode(encoding, "replace")

    def resize(self, cols: int, rows: int) -> None:
        self.channel.resize_pty(width=cols, height=rows)

    def wait(self, timeout: float | None = None) -> int:
        """The exit status; -1 when the connection ended first. ``TimeoutError`` after ``timeout``."""
        if not self.channel.status_event.wait(timeout):
            raise TimeoutError(f"`{self.command}` still running after {timeout:g} s")
        return int(self.channel.recv_exit_status())

    @property
    def finished(self) -> bool:
        return bool(self.channel.exit_status_ready() or self.channel.closed)

    def fileno(self) -> int:
        return int(self.channel.fileno())

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> RemoteProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start(
    transport: paramiko.Transport,
    command: Command,
    pty: bool = False,
    term: str = "xterm-256color",
    size: tuple[int, int] = (80, 24),
    timeout: float = 15.0,
) -> RemoteProcess:
    text = command_text(command)
    try:
        channel = transport.open_session(timeout=timeout)
        if pty:
            channel.get_pty(term=term, width=size[0], height=size[1])
        channel.exec_command(text)
    except (paramiko.SSHException, OSError, EOFError) as exc:
        raise HostUnreachableError(f"cannot start `{text}`: {exc or type(exc).__name__}") from None
    return RemoteProcess(channel, text)


def run(
    transport: paramiko.Transport,
    command: Command,
    input: bytes | None = None,
    timeout: float | None = 60.0,
    pty: bool = False,
) -> Completed:
    """Run to the end and collect both streams (stderr read alongside, so neither stalls)."""
    proc = start(transport, command, pty=pty)
    err = bytearray()
    reader = threading.Thread(target=_drain_stderr, args=(proc.channel, err), daemon=True)
    reader.start()
    out = bytearray()
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        if input:
            proc.write(input)
        proc.close_stdin()
        while True:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.001)
            chunk = proc.read(timeout=left)
            if not chunk:
                break
            out += chunk
        status = proc.wait(None if deadline is None else max(deadline - time.monotonic(), 0.001))
    except TimeoutError:
        proc.close()
        raise RemoteCommandError(f"`{proc.command}` did not finish within {timeout:g} s") from None
    finally:
        reader.join(5)
        proc.close()
    return Completed(proc.command, status, bytes(out), bytes(err))


def _drain_stderr(channel: paramiko.Channel, into: bytearray) -> None:
    with contextlib.suppress(Exception):
        while chunk := channel.recv_stderr(CHUNK):
            into += chunk


class LocalForward:
    """``ssh -L``: connections to 127.0.0.1:``local_port`` reach ``remote_host:remote_port``
    as seen from the host (a debugger, a dashboard). ``close`` stops listening and ends them."""

    def __init__(
        self,
        transport: Callable[[], paramiko.Transport],
        remote_port: int,
        remote_host: str = "127.0.0.1",
        local_port: int = 0,
    ) -> None:
        self._transport = transport
        self.remote = (remote_host, remote_port)
        self._listener = socket.create_server(("127.0.0.1", local_port))
        self._listener.settimeout(0.25)
        self.local_port: int = self._listener.getsockname()[1]
        self._closed = threading.Event()
        self._links: set[tuple[socket.socket, paramiko.Channel]] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, name=f"forward-{self.local_port}", daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, peer = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                channel = self._transport().open_channel("direct-tcpip", self.remote, peer, timeout=10)
            except (paramiko.SSHException, OSError, EOFError):
                conn.close()  # the far side refused or the link is gone: the client sees a reset
                continue
            with self._lock:
                self._links.add((conn, channel))
            threading.Thread(target=self._pump, args=(conn, channel), daemon=True).start()

    def _pump(self, conn: socket.socket, channel: paramiko.Channel) -> None:
        try:
            while not self._closed.is_set():
                ready, _, _ = select.select([conn, channel], [], [], 0.5)
                if conn in ready:
                    data = conn.recv(CHUNK)
                    if not data:
                        break
                    channel.sendall(data)
                if channel in ready:
                    data = channel.recv(CHUNK)
                    if not data:
                        break
                    conn.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._links.discard((conn, channel))
            channel.close()
            conn.close()

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        with self._lock:
            links, self._links = list(self._links), set()
        for conn, channel in links:
            channel.close()
            conn.close()

    def __enter__(self) -> LocalForward:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
