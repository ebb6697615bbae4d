"""Host keys, checked against OUR known_hosts file (config dir) only; trusted explicitly.

paramiko's own policies either accept unknown keys (AutoAdd/Warning) or raise a bare
SSHException. Here (``KnownHosts.check``, called for every hop of a route before logging in)
an unknown key raises ``UnknownHostKeyError`` carrying the fingerprint for the GUI/CLI to show,
and a changed key raises ``HostKeyChangedError``. Nothing is
written to the file except by ``KnownHosts.trust`` (the ``hosts trust`` command / dialog).
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

from runner.hosts.paths import config_dir

FILE_NAME = "known_hosts"
_LOCK = threading.Lock()


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's ``SHA256:...`` form (base64 without padding) of a public key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def host_id(hostname: str, port: int) -> str:
    """The known_hosts name: ``host`` on port 22, ``[host]:port`` otherwise (as OpenSSH writes it)."""
    return hostname if port == 22 else f"[{hostname}]:{port}"


class HostKeyError(paramiko.SSHException):
    """Base of the host key refusals (subclass of SSHException so paramiko passes it through)."""


class UnknownHostKeyError(HostKeyError):
    def __init__(self, host: str, key_type: str, fp: str, name: str = "NAME") -> None:
        self.host, self.key_type, self.fingerprint = host, key_type, fp
        super().__init__(
            f"unknown host key for {host}: {key_type} {fp}. Check it with the host's owner, then "
            f"trust it explicitly (`pipeline-designer hosts trust {name}`)"
        )


class HostKeyChangedError(HostKeyError):
    def __init__(self, host: str, key_type: str, expected: str, offered: str, name: str = "NAME") -> None:
        self.host, self.key_type = host, key_type
        self.expected, self.offered = expected, offered
        super().__init__(
            f"HOST KEY CHANGED for {host}! Expected {expected}, the server offered {key_type} {offered}. "
            "Someone may be intercepting the connection (or the host was reinstalled). Connection refused; "
            f"if the change is legitimate, run `pipeline-designer hosts trust {name} --replace`"
        )


@dataclass
class KnownHosts:
    path: Path = field(default_factory=lambda: config_dir() / FILE_NAME)

    def load(self) -> paramiko.HostKeys:
        keys = paramiko.HostKeys()
        if self.path.is_file():
            keys.load(str(self.path))
        return keys

    def lookup(self, hostname: str, port: int) -> dict[str, paramiko.PKey]:
        return self.lookup_id(host_id(hostname, port))

    def lookup_id(self, hid: str) -> dict[str, paramiko.PKey]:
        """The trusted keys (by type) of host id ``hid`` (see ``host_id``)."""
        found = self.load().lookup(hid)
        return dict(found) if found else {}

    def trust(self, hostname: str, port: int, key: paramiko.PKey, replace: bool = False) -> None:
        """Store ``key`` for the host; an existing different key is only replaced with ``replace``."""
        self.trust_id(host_id(hostname, port), key, replace)

    def trust_id(self, hid: str, key: paramiko.PKey, replace: bool = False) -> None:
        with _LOCK:
            keys = self.load()
            current = keys.lookup(hid)
            if current and not replace and any(k.asbytes() != key.asbytes() for k in current.values()):
                old = next(iter(current.values()))
                raise HostKeyChangedError(hid, key.get_name(), fingerprint(old), fingerprint(key))
            if current and replace:
                del keys[hid]
            keys.add(hid, key.get_name(), key)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            keys.save(str(tmp))  # then renamed: a crash never leaves half a known_hosts
            tmp.chmod(0o600)
            os.replace(tmp, self.path)

    def check(self, hid: str, key: paramiko.PKey, name: str = "NAME") -> None:
        """Raise unless ``key`` is the trusted key for host id ``hid`` (see ``host_id``);
        ``name`` is the registered host the messages tell the user to trust."""
        known = self.lookup_id(hid)
        if not known:
            raise UnknownHostKeyError(hid, key.get_name(), fingerprint(key), name)
        if any(k.asbytes() == key.asbytes() for k in known.values()):
            return
        expected = ", ".join(f"{t} {fingerprint(k)}" for t, k in known.items())
        raise HostKeyChangedError(hid, key.get_name(), expected, fingerprint(key), name)


def fetch_host_key(hostname: str, port: int, timeout: float = 8.0) -> paramiko.PKey:
    """The key the server offers, without authenticating (for showing before ``trust``)."""
    sock = socket.create_connection((hostname, port), timeout=timeout)
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = timeout
        transport.start_client(timeout=timeout)
        return transport.get_remote_server_key()
    finally:
        transport.close()
