"""Opening a route hop by hop: TCP (or a channel through the previous hop), host key, login.

``open_route`` checks each hop's key against our known_hosts before sending it anything and
raises ``HostKeyError`` for the first one that is not trusted. ``route_keys`` walks the same
way but stops at that hop and returns the keys seen, so ``hosts trust`` can ask about each
unknown key in turn.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import paramiko

from runner.hosts.auth import authenticate
from runner.hosts.errors import HostAuthError, HostUnreachableError
from runner.hosts.known_hosts import HostKeyError, KnownHosts
from runner.hosts.ssh_config import Hop, Route

CONNECT_TIMEOUT = 8.0  # an unreachable host must be reported within 10 s
WINDOW = 16 << 20  # large SSH windows: archive transfers are bulk data


def reason(exc: BaseException, timeout: float = CONNECT_TIMEOUT) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is sshd running there, on that port?)"
    if isinstance(exc, paramiko.ChannelException):
        return f"the jump host could not open a connection to it ({exc.text or exc.code})"
    if isinstance(exc, socket.gaierror):
        return f"unknown host name ({exc.strerror})"
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


@contextmanager
def _agent() -> Iterator[tuple[paramiko.PKey, ...]]:
    """ssh-agent's keys, for the time of one walk (signing needs the agent connection open)."""
    try:
        agent = paramiko.Agent()
    except paramiko.SSHException:  # a socket that speaks something else: as if no agent
        yield ()
        return
    try:
        yield tuple(agent.get_keys())
    finally:
        agent.close()


def where(hop: Hop, name: str, route: Route) -> str:
    if hop is route.target:
        via = f" via {route.jumps[-1].label}" if route.jumps else ""
        return f"host {name!r} ({hop.hostname}:{hop.port}{via})"
    return f"jump host {hop.label} on the way to host {name!r}"


def _handshake(
    hop: Hop, through: paramiko.Transport | None, name: str, route: Route, known: KnownHosts
) -> paramiko.Transport:
    """Connected and encrypted, not yet logged in (the server's key is known, not checked)."""
    timeout = hop.connect_timeout or CONNECT_TIMEOUT
    transport: paramiko.Transport | None = None
    try:
        if through is None:
            sock: Any = socket.create_connection((hop.hostname, hop.port), timeout=timeout)
        else:
            sock = through.open_channel(
                "direct-tcpip", (hop.hostname, hop.port), ("127.0.0.1", 0), timeout=timeout
            )
        transport = paramiko.Transport(sock)
        transport.banner_timeout = timeout
        transport.auth_timeout = timeout
        transport.default_window_size = WINDOW
        _prefer_known_key_types(transport, known, hop)
        transport.start_client(timeout=timeout)
        return transport
    except (OSError, paramiko.SSHException, EOFError) as exc:
        if transport is not None:
            transport.close()
        raise HostUnreachableError(
            f"{where(hop, name, route)} is unreachable: {reason(exc, timeout)}"
        ) from None


def _login(
    transport: paramiko.Transport, hop: Hop, name: str, route: Route, agent_keys: tuple[paramiko.PKey, ...]
) -> None:
    try:
        authenticate(transport, hop, name, agent_keys)
    except HostAuthError as exc:
        transport.close()
        raise HostAuthError(f"{where(hop, name, route)}: {exc}") from None
    except (OSError, paramiko.SSHException, EOFError) as exc:
        transport.close()
        timeout = hop.connect_timeout or CONNECT_TIMEOUT
        raise HostUnreachableError(
            f"{where(hop, name, route)}: the login broke off: {reason(exc, timeout)}"
        ) from None


def open_route(route: Route, name: str, known: KnownHosts) -> list[paramiko.Transport]:
    """Connect, check and log in to each hop in turn; the last transport reaches the target."""
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)  # its tracebacks would flood the logs
    transports: list[paramiko.Transport] = []
    try:
        with _agent() as agent_keys:
            for hop in route.hops:
                transport = _handshake(hop, transports[-1] if transports else None, name, route, known)
                transports.append(transport)
                known.check(hop.host_id, transport.get_remote_server_key(), name)
                _login(transport, hop, name, route, agent_keys)
    except BaseException:
        for transport in reversed(transports):
            transport.close()
        raise
    return transports


def route_keys(route: Route, name: str, known: KnownHosts) -> list[tuple[Hop, paramiko.PKey]]:
    """Each hop's key up to the first one we do not trust (all of them when all are trusted).

    Hops before it are logged in to, as reaching the next hop needs; nothing is sent to a hop
    whose key is not trusted.
    """
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    transports: list[paramiko.Transport] = []
    seen: list[tuple[Hop, paramiko.PKey]] = []
    try:
        with _agent() as agent_keys:
            for hop in route.hops:
                transport = _handshake(hop, transports[-1] if transports else None, name, route, known)
                transports.append(transport)
                key = transport.get_remote_server_key()
                seen.append((hop, key))
                try:
                    known.check(hop.host_id, key, name)
                except HostKeyError:
                    break
                if hop is not route.target:
                    _login(transport, hop, name, route, agent_keys)
    finally:
        for transport in reversed(transports):
            transport.close()
    return seen


def _prefer_known_key_types(transport: paramiko.Transport, known: KnownHosts, hop: Hop) -> None:
    """Ask first for the key type we trust, as ssh does: a server with several host keys must
    not look "changed" only because it offered another of them."""
    types = list(known.lookup_id(hop.host_id))
    if types:
        options = transport.get_security_options()
        options.key_types = [
            *[t for t in options.key_types if t in types],
            *[t for t in options.key_types if t not in types],
        ]
