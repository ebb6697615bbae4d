"""A Docker client on a host's SSH connection (connection.py: our host-key checks, our logins).

The SDK's ``ssh://`` transport builds its own paramiko client (system known_hosts, ~/.ssh
config, no jump hosts). ``TrustedSSHAdapter`` replaces that client with a ``Connection`` and
reconnects through ``connect`` (same checks) when the connection has dropped. Each HTTP
connection is one ``docker system dial-stdio`` channel on the shared SSH transport.
"""

from __future__ import annotations

import threading
from typing import Any

import docker
import paramiko
import urllib3.connection
from docker.transport.sshconn import SSHConnectionPool, SSHHTTPAdapter

from runner.hosts.connection import HostLink
from runner.hosts.errors import HostAuthError, HostError, HostUnreachableError
from runner.hosts.hops import reason
from runner.hosts.known_hosts import KnownHosts
from runner.hosts.registry import HostConfig

__all__ = ["HostAuthError", "HostError", "HostUnreachableError", "docker_client"]

WINDOW = 16 << 20  # large SSH window and HTTP blocks: archive transfers are bulk data
BLOCK = 1 << 20
MAX_PACKET = 256 << 10  # the server may send bigger packets: fewer Python-level steps per MB


class _BulkConnection(urllib3.connection.HTTPConnection):
    """One dial-stdio channel; large send blocks (http.client's 8-16 KiB would crawl over SSH)."""

    def __init__(self, transport: paramiko.Transport, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout, blocksize=BLOCK)
        self.ssh_transport = transport

    def connect(self) -> None:
        channel = self.ssh_transport.open_session(window_size=WINDOW, max_packet_size=MAX_PACKET)
        channel.settimeout(self.timeout)
        channel.exec_command("docker system dial-stdio")
        # Channel.sendall re-slices its bytes after every 32 KiB packet (quadratic copying on
        # 1 MiB blocks); a memoryview slices for free.
        channel.sendall = lambda data: paramiko.Channel.sendall(channel, memoryview(data))
        self.sock = channel


def _stale(channel: Any) -> bool:
    """A pooled channel the server side has finished with (the SDK's pool does not check)."""
    return bool(channel.closed or channel.eof_received or channel.exit_status_ready())


class _BulkPool(SSHConnectionPool):
    """Keeps one connected spare: a new channel plus `docker system dial-stdio` costs ~0.4 s, and
    every node needs at least one (attach takes its connection over for good)."""

    def _new_conn(self) -> _BulkConnection:
        return _BulkConnection(self.ssh_transport, self.timeout)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._spares: list[_BulkConnection] = []
        self._spare_lock = threading.Lock()

    def _get_conn(self, timeout: float | None = None) -> _BulkConnection:
        conn: _BulkConnection = super()._get_conn(timeout)
        while conn.sock is not None and _stale(conn.sock):  # its dial-stdio ended while pooled
            conn.close()
            conn = super()._get_conn(timeout)
        if conn.sock is None:  # none pooled: take the spare if ready, and prepare the next one
            with self._spare_lock:
                spare = self._spares.pop() if self._spares else None
            if spare is not None and not _stale(spare.sock):
                conn = spare
            elif spare is not None:
                spare.close()
            threading.Thread(target=self._add_spare, daemon=True).start()
        return conn

    def _add_spare(self) -> None:
        try:
            spare = self._new_conn()
            spare.connect()
        except Exception:  # link gone: the next request reports it
            return
        with self._spare_lock:
            if self.pool is not None and not self._spares:
                self._spares.append(spare)
                return
        spare.close()

    def close(self) -> None:
        with self._spare_lock:
            spares, self._spares = self._spares, []
        for spare in spares:
            spare.close()
        super().close()


class TrustedSSHAdapter(SSHHTTPAdapter):
    """The SDK's SSH adapter on a ``HostLink``: the link's connection, reopened when it dropped."""

    def __init__(self, link: HostLink, timeout: float, max_pool_size: int, owns_link: bool) -> None:
        self.link, self.owns_link = link, owns_link
        super().__init__("ssh://pipeline-designer", timeout=timeout, max_pool_size=max_pool_size)

    def _create_paramiko_client(self, base_url: str) -> None:
        self.ssh_params: dict[str, Any] = {}

    def _connect(self) -> None:
        self.ssh_client = self.link.get()  # same host-key and auth checks as the first time

    def get_connection(self, url: Any, proxies: Any = None) -> _BulkPool:
        with self.pools.lock:
            if self.ssh_client is None or not self.ssh_client.alive:
                self.pools.clear()
                self.ssh_client = None
                self._connect()
            # One pool for all URLs: the SDK keys pools by the full request URL, so every new
            # endpoint paid a fresh channel and a `docker system dial-stdio` process (~0.5 s).
            pool: _BulkPool | None = self.pools.get("engine")
            if pool is None:
                pool = _BulkPool(ssh_client=self.ssh_client, timeout=self.timeout, maxsize=self.max_pool_size)
                self.pools["engine"] = pool
        return pool

    def close(self) -> None:
        self.ssh_client = None  # the link's, closed with the link
        super().close()
        if self.owns_link:
            self.link.close()


def docker_client(
    host: HostConfig, known: KnownHosts | None = None, timeout: float = 60, link: HostLink | None = None
) -> docker.DockerClient:
    """A DockerClient for the host's engine, on ``link`` (or a link of its own, closed with the
    client); connects now (raising the typed errors of ``connect``) and again after a drop."""
    own = link is None
    link = link or HostLink(host, known)
    adapter = TrustedSSHAdapter(link, timeout, max_pool_size=host.max_parallel * 4 + 8, owns_link=own)
    # Built for an ssh:// URL with shell-out (which connects lazily), then the adapter is swapped
    # for ours before any request; the API version is asked of the engine through it.
    client = docker.DockerClient(
        base_url="ssh://pipeline-designer", use_ssh_client=True, version="1.41", timeout=timeout
    )
    api = client.api
    api._custom_adapter.close()
    api._custom_adapter = adapter
    api.mount("http+docker://ssh", adapter)
    try:
        api._version = api._retrieve_server_version()
    except Exception as exc:
        client.close()
        if isinstance(exc, HostError):
            raise
        raise HostUnreachableError(
            f"host {host.name!r}: SSH works but the Docker engine did not answer ({reason(exc)}); "
            "is docker installed and is the user allowed to use it?"
        ) from None
    return client
