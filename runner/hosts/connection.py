"""One SSH connection to a host, through its ProxyJump chain: the API other runner parts use.

    from runner.hosts.connection import connect

    with connect("gpubox") as conn:            # a registered host, or "ssh://alias", "ssh://u@h:p"
        conn.run(["nvidia-smi", "-L"]).check().text               # Completed(status, stdout, stderr)
        proc = conn.start(["docker", "exec", "-it", cid, "sh"], pty=True, size=(120, 40))
        for line in conn.stream(["docker", "logs", "-f", cid]): ...  # stdout lines as they come
        with conn.forward(5678) as fwd: ...    # 127.0.0.1:fwd.local_port -> host's 127.0.0.1:5678
        conn.put(local_path, "/tmp/x"); conn.get("/tmp/y", local_path); conn.sftp()
        engine = conn.docker()                 # a DockerClient over this connection (reconnects)

Every hop's host key is checked against OUR known_hosts (``KnownHosts``) before anything is
sent to it; unknown or changed keys raise ``HostKeyError`` naming the hop. Logins follow
auth.py (ssh-agent, key files, keyring secrets only when needed). A watchdog probes the target
every ServerAliveInterval (default 5 s): after ServerAliveCountMax - 1 (default 2) intervals
without an answer the connection is closed, so every stream on it ends and ``alive`` is False.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paramiko

from runner.hosts import channels
from runner.hosts.errors import HostError, HostUnreachableError
from runner.hosts.hops import WINDOW, open_route
from runner.hosts.known_hosts import KnownHosts
from runner.hosts.registry import HostConfig, HostRegistry, parse_url
from runner.hosts.ssh_config import Route, resolve

ALIVE_INTERVAL = 5.0  # seconds between keep-alive probes the server must answer
ALIVE_COUNT_MAX = 3  # probes unanswered (counting the one in flight) before the link is dead
RECONNECT_BACKOFF = 20.0  # after a failed reconnect, a link fails at once for this long


def target_host(target: HostConfig | str) -> HostConfig:
    """A registered host by name, or an ad-hoc ``ssh://`` target (named after its alias)."""
    if isinstance(target, HostConfig):
        return target
    if target.startswith("ssh://"):
        return HostConfig(_adhoc_name(parse_url(target)[1]), target)
    return HostRegistry().get(target)


def _adhoc_name(alias: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "_.-" else "_" for c in alias).lstrip("_.-")
    return cleaned[:63] or "host"


class Connection:
    """An open, logged-in route to one host; thread-safe (each call opens its own channel)."""

    def __init__(self, host: HostConfig, route: Route, transports: list[paramiko.Transport]) -> None:
        self.host = host
        self.name = host.name
        self.route = route
        self._transports = transports
        self.lost_reason = ""
        target = route.target
        self.alive_interval = target.alive_interval or ALIVE_INTERVAL
        self.alive_timeout = self.alive_interval * max((target.alive_count_max or ALIVE_COUNT_MAX) - 1, 1)
        threading.Thread(target=self._watchdog, name=f"ssh-watchdog-{self.name}", daemon=True).start()

    # --- state ---------------------------------------------------------------------------------
    @property
    def transport(self) -> paramiko.Transport:
        return self._transports[-1]

    def get_transport(self) -> paramiko.Transport:  # what the Docker SDK's SSH pool asks for
        return self.transport

    @property
    def alive(self) -> bool:
        return all(t.is_active() for t in self._transports)

    def describe(self) -> str:
        return f"host {self.name!r} ({self.route.describe()})"

    def _live(self) -> paramiko.Transport:
        if not self.alive:
            why = f": {self.lost_reason}" if self.lost_reason else ""
            raise HostUnreachableError(f"the connection to {self.describe()} is gone{why}")
        return self.transport

    def _watchdog(self) -> None:
        """Close a link whose peer stopped answering (host gone without a FIN: cable, sleep, crash).

        Streams read without a timeout, so without this a half-open connection would hang a
        node forever; closed, every stream ends and the next request reports the host unreachable.
        """
        transport = self.transport
        while transport.is_active():
            time.sleep(self.alive_interval)
            probe = threading.Thread(
                target=transport.global_request,
                args=("keepalive@openssh.com",),
                kwargs={"wait": True},
                daemon=True,
            )
            probe.start()
            probe.join(self.alive_timeout)
            if probe.is_alive() and transport.is_active():
                self.lost_reason = f"no answer to keep-alives for {self.alive_timeout:g} s"
                self.close()
                return

    # --- commands ------------------------------------------------------------------------------
    def run(
        self,
        command: channels.Command,
        input: bytes | None = None,
        timeout: float | None = 60.0,
        pty: bool = False,
    ) -> channels.Completed:
        """Run ``command`` (a list is shell-quoted) to its end; ``.check()`` raises on failure."""
        try:
            return channels.run(self._live(), command, input=input, timeout=timeout, pty=pty)
        except HostUnreachableError as exc:
            raise HostUnreachableError(f"{self.describe()}: {exc}") from None

    def start(
        self,
        command: channels.Command,
        pty: bool = False,
        term: str = "xterm-256color",
        size: tuple[int, int] = (80, 24),
    ) -> channels.RemoteProcess:
        """Start ``command`` and return it running (interactive with ``pty=True``)."""
        try:
            return channels.start(self._live(), command, pty=pty, term=term, size=size)
        except HostUnreachableError as exc:
            raise HostUnreachableError(f"{self.describe()}: {exc}") from None

    def stream(self, command: channels.Command) -> Iterator[str]:
        """Stdout lines of ``command`` as they come; leaving the loop ends the command's channel."""
        proc = self.start(command)
        try:
            yield from proc.lines()
        finally:
            proc.close()

    def forward(
        self, remote_port: int, remote_host: str = "127.0.0.1", local_port: int = 0
    ) -> channels.LocalForward:
        """Listen on 127.0.0.1:``local_port`` (0: any free port, see ``.local_port``) and carry
        each connection to ``remote_host:remote_port`` as the host sees it."""
        return channels.LocalForward(self._live, remote_port, remote_host, local_port)

    # --- files ---------------------------------------------------------------------------------
    def sftp(self) -> paramiko.SFTPClient:
        client = paramiko.SFTPClient.from_transport(self._live(), window_size=WINDOW)
        if client is None:
            raise HostUnreachableError(f"{self.describe()}: the SFTP subsystem did not start")
        return client

    def put(self, local: Path | str, remote: str) -> None:
        with contextlib.closing(self.sftp()) as sftp:
            sftp.put(str(local), remote)

    def get(self, remote: str, local: Path | str) -> None:
        with contextlib.closing(self.sftp()) as sftp:
            sftp.get(remote, str(local))

    # --- docker --------------------------------------------------------------------------------
    def docker(self, timeout: float = 60) -> Any:
        """A DockerClient on the host's engine over this connection (closing it leaves the
        connection open; after a drop it reconnects on a connection of its own)."""
        from runner.hosts.ssh import docker_client

        return docker_client(
            self.host, timeout=timeout, link=HostLink(self.host, first=self, owns_first=False)
        )

    def close(self) -> None:
        for transport in reversed(self._transports):
            transport.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(target: HostConfig | str, known: KnownHosts | None = None) -> Connection:
    """Resolve ``target`` through the ssh config and open its route; raises ``HostKeyError``
    (unknown or changed key of a hop), ``HostUnreachableError``, ``HostAuthError`` or
    ``HostConfigError`` (unknown host, bad ssh config), each naming the hop."""
    host = target_host(target)
    route = resolve(host.url, host.identity)
    return Connection(host, route, open_route(route, host.name, known or KnownHosts()))


class HostLink:
    """The current connection to one host, opened again on demand after it dropped.

    Shared by everything a run does on a host (its Docker client, GPU leases), so they ride one
    connection. After a failed reconnect ``get`` fails at once for ``RECONNECT_BACKOFF`` s: every
    request of a node whose host went away (wait, fetch outputs, remove) would otherwise wait a
    connect timeout again.
    """

    def __init__(
        self,
        host: HostConfig,
        known: KnownHosts | None = None,
        first: Connection | None = None,
        owns_first: bool = True,
    ) -> None:
        self.host = host
        self._known = known or KnownHosts()
        self._conn = first
        self._borrowed = None if owns_first else first
        self._failed: tuple[float, HostError] | None = None
        self._lock = threading.Lock()

    def get(self) -> Connection:
        with self._lock:
            if self._conn is not None and self._conn.alive:
                return self._conn
            if self._failed is not None and time.monotonic() < self._failed[0]:
                raise self._failed[1]
            self._drop()
            try:
                self._conn = connect(self.host, self._known)
            except HostError as exc:
                self._failed = (time.monotonic() + RECONNECT_BACKOFF, exc)
                raise
            self._failed = None
            return self._conn

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and conn is not self._borrowed:
            conn.close()

    def close(self) -> None:
        with self._lock:
            self._drop()
