"""A Docker client over SSH, with OUR host-key check and keyring secrets.

The SDK's ``ssh://`` transport builds its own paramiko client (system known_hosts, ~/.ssh
config). ``TrustedSSHAdapter`` replaces that client with one from ``open_ssh`` and reconnects
through it (same checks) when the connection has dropped. Each HTTP connection is one
``docker system dial-stdio`` channel on the shared SSH transport.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import docker
import paramiko
import urllib3.connection
from docker.transport.sshconn import SSHConnectionPool, SSHHTTPAdapter

from runner.hosts.known_hosts import CheckPolicy, HostKeyError, KnownHosts
from runner.hosts.registry import HostConfig
from runner.hosts.secrets import get_secret

CONNECT_TIMEOUT = 8.0  # an unreachable host must be reported within 10 s
LIVENESS_INTERVAL = 5.0  # seconds between keepalive requests the server must answer
LIVENESS_TIMEOUT = 10.0  # no answer in this long: the link is dead
RECONNECT_BACKOFF = 20.0  # after a failed reconnect, requests fail at once for this long
WINDOW = 16 << 20  # large SSH window and HTTP blocks: archive transfers are bulk data
BLOCK = 1 << 20
MAX_PACKET = 256 << 10  # the server may send bigger packets: fewer Python-level steps per MB


class HostError(RuntimeError):
    """A host could not be used; the message names the host and what was being done."""


class HostUnreachableError(HostError):
    pass


class HostAuthError(HostError):
    pass


def open_ssh(
    host: HostConfig, known: KnownHosts | None = None, timeout: float | None = None
) -> paramiko.SSHClient:
    """Connect and authenticate; raises HostKeyError, HostUnreachableError or HostAuthError."""
    timeout = timeout or CONNECT_TIMEOUT
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)  # its tracebacks would flood the logs
    known = known or KnownHosts()
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(CheckPolicy(known))
    where = f"host {host.name!r} ({host.hostname}:{host.port})"
    try:
        client.connect(
            host.hostname,
            port=host.port,
            username=host.user,
            key_filename=host.identity,
            passphrase=get_secret(host.name, "passphrase"),
            password=get_secret(host.name, "password"),
            look_for_keys=host.identity is None,
            allow_agent=host.identity is None,
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
        )
    except HostKeyError:
        client.close()
        raise
    except paramiko.PasswordRequiredException:
        client.close()
        raise HostAuthError(
            f"{where}: the key {host.identity} needs a passphrase and none is in the keyring "
            f"(`pipeline-designer hosts secret {host.name} passphrase`)"
        ) from None
    except paramiko.AuthenticationException as exc:
        client.close()
        raise HostAuthError(f"{where}: authentication failed ({type(exc).__name__})") from None
    except (OSError, paramiko.SSHException, EOFError) as exc:
        client.close()
        raise HostUnreachableError(f"{where} is unreachable: {_reason(exc)}") from None
    transport = client.get_transport()
    assert transport is not None
    transport.default_window_size = WINDOW
    threading.Thread(
        target=_watchdog, args=(transport,), name=f"ssh-watchdog-{host.name}", daemon=True
    ).start()
    return client


def _watchdog(transport: paramiko.Transport) -> None:
    """Close a link whose peer stopped answering (host gone without a FIN: cable, sleep, crash).

    Attach streams read without a timeout, so without this a half-open connection would hang a
    node forever; closed, every stream ends and the next request reports the host unreachable.
    """
    while transport.is_active():
        time.sleep(LIVENESS_INTERVAL)
        probe = threading.Thread(
            target=transport.global_request,
            args=("keepalive@openssh.com",),
            kwargs={"wait": True},
            daemon=True,
        )
        probe.start()
        probe.join(LIVENESS_TIMEOUT)
        if probe.is_alive() and transport.is_active():
            transport.close()
            return


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT:g} s"
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError):
        return "connection refused (is sshd running there, on that port?)"
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


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
    def __init__(self, connect: Callable[[], paramiko.SSHClient], timeout: float, max_pool_size: int) -> None:
        self._connect_fn = connect
        self._failed: tuple[float, HostError] | None = None
        super().__init__("ssh://pipeline-designer", timeout=timeout, max_pool_size=max_pool_size)

    def _create_paramiko_client(self, base_url: str) -> None:
        self.ssh_params: dict[str, Any] = {}

    def _connect(self) -> None:
        # After a failed reconnect, fail fast for a while: every request of a node whose host
        # went away (wait, fetch outputs, remove) would otherwise wait a connect timeout again.
        if self._failed is not None and time.monotonic() < self._failed[0]:
            raise self._failed[1]
        try:
            self.ssh_client = self._connect_fn()
        except HostError as exc:
            self.ssh_client = None
            self._failed = (time.monotonic() + RECONNECT_BACKOFF, exc)
            raise
        self._failed = None

    def get_connection(self, url: Any, proxies: Any = None) -> _BulkPool:
        with self.pools.lock:
            transport = self.ssh_client.get_transport() if self.ssh_client else None
            if transport is None or not transport.is_active():
                self.pools.clear()
                if self.ssh_client is not None:
                    self.ssh_client.close()
                self._connect()  # same host-key and auth checks as the first time
            # One pool for all URLs: the SDK keys pools by the full request URL, so every new
            # endpoint paid a fresh channel and a `docker system dial-stdio` process (~0.5 s).
            pool: _BulkPool | None = self.pools.get("engine")
            if pool is None:
                pool = _BulkPool(ssh_client=self.ssh_client, timeout=self.timeout, maxsize=self.max_pool_size)
                self.pools["engine"] = pool
        return pool


def docker_client(
    host: HostConfig, known: KnownHosts | None = None, timeout: float = 60
) -> docker.DockerClient:
    """A DockerClient for the host's engine; connects now (raising the typed errors above)."""
    known = known or KnownHosts()
    adapter = TrustedSSHAdapter(
        lambda: open_ssh(host, known), timeout, max_pool_size=host.max_parallel * 4 + 8
    )
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
        raise HostUnreachableError(
            f"host {host.name!r}: SSH works but the Docker engine did not answer ({_reason(exc)}); "
            "is docker installed and is the user allowed to use it?"
        ) from None
    return client
