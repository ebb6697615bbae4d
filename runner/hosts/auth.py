"""Logging in to one SSH server, in the order ssh uses, reading the keyring only when needed.

1. keys held by ssh-agent (with IdentitiesOnly, only those matching an IdentityFile);
2. identity files that need no passphrase (the IdentityFiles, or ssh's default key files);
3. encrypted identity files the agent does not hold: the passphrase comes from the keyring now;
4. a password from the keyring, when the server accepts passwords.

A missing keyring fails only a login that had nothing else left to try, with the fix named.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

from runner.hosts.errors import HostAuthError
from runner.hosts.secrets import SecretStoreError, get_secret
from runner.hosts.ssh_config import Hop

DEFAULT_KEYS = ("id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk")


@dataclass
class _Attempts:
    """What was tried, for a failure message that tells the user what to change."""

    tried: list[str] = field(default_factory=list)
    locked: list[str] = field(default_factory=list)  # encrypted keys without a passphrase
    keyring_error: str = ""
    secrets: dict[str, str | None] = field(default_factory=dict)  # read once per login
    allowed: list[str] = field(default_factory=list)


def _identity_files(hop: Hop) -> list[str]:
    if hop.identity_files:
        return [f for f in hop.identity_files if os.path.isfile(f)]
    ssh_dir = Path(os.path.expanduser("~")) / ".ssh"
    return [str(ssh_dir / n) for n in DEFAULT_KEYS if (ssh_dir / n).is_file()]


def _public_blob(path: str) -> bytes | None:
    try:
        return paramiko.PublicBlob.from_file(path + ".pub").key_blob
    except (OSError, ValueError):
        return None


def _load(path: str, passphrase: str | None = None) -> paramiko.PKey | None:
    """The key, or None when it needs a passphrase (raises HostAuthError if unreadable)."""
    try:
        secret = passphrase.encode() if passphrase is not None else None  # the loader takes bytes
        return paramiko.PKey.from_path(path, password=secret)
    except paramiko.PasswordRequiredException:
        return None
    except (paramiko.SSHException, ValueError, TypeError) as exc:
        if passphrase is None and isinstance(exc, TypeError):
            return None  # the cryptography loader's way of saying "encrypted, give a password"
        if passphrase is not None:
            raise HostAuthError(f"the key {path} did not open with the passphrase in the keyring") from None
        raise HostAuthError(f"the key {path} cannot be read: {exc}") from None
    except OSError as exc:
        raise HostAuthError(f"the key {path} cannot be read: {exc.strerror or exc}") from None


def _try_key(transport: paramiko.Transport, hop: Hop, key: paramiko.PKey, what: str, log: _Attempts) -> bool:
    log.tried.append(what)
    try:
        remaining = transport.auth_publickey(hop.user, key)
    except paramiko.BadAuthenticationType as exc:
        log.allowed = list(exc.allowed_types)
        return False
    except paramiko.AuthenticationException:
        return False
    return not remaining or transport.is_authenticated()


def _secret(name: str, kind: str, log: _Attempts) -> str | None:
    if kind not in log.secrets:
        try:
            log.secrets[kind] = get_secret(name, kind)
        except SecretStoreError as exc:
            log.keyring_error = str(exc)
            log.secrets[kind] = None
    return log.secrets[kind]


def authenticate(
    transport: paramiko.Transport, hop: Hop, secret_name: str, agent_keys: tuple[paramiko.PKey, ...]
) -> None:
    """Log in as ``hop.user``; the keyring entries of ``secret_name`` are read only if needed."""
    log = _Attempts()
    try:
        transport.auth_none(hop.user)
        return  # a server that asks nothing
    except paramiko.BadAuthenticationType as exc:
        log.allowed = list(exc.allowed_types)
    except paramiko.AuthenticationException:
        pass
    files = _identity_files(hop)
    if "publickey" in log.allowed and _keys_then_files(transport, hop, secret_name, agent_keys, files, log):
        return
    if {"password", "keyboard-interactive"} & set(log.allowed):
        password = _secret(secret_name, "password", log)
        if password is not None:
            log.tried.append("the password in the keyring")
            try:
                transport.auth_password(hop.user, password)
                return
            except paramiko.AuthenticationException:
                pass
    raise HostAuthError(_failure(hop, secret_name, log))


def _keys_then_files(
    transport: paramiko.Transport,
    hop: Hop,
    secret_name: str,
    agent_keys: tuple[paramiko.PKey, ...],
    files: list[str],
    log: _Attempts,
) -> bool:
    wanted = {b for f in files if (b := _public_blob(f)) is not None}
    plain: list[tuple[str, paramiko.PKey]] = []
    locked: list[str] = []
    for path in files:
        key = _load(path)
        if key is None:
            locked.append(path)
        else:
            plain.append((path, key))
            wanted.add(key.asbytes())
    for key in agent_keys:
        if hop.identities_only and key.asbytes() not in wanted:
            continue
        if _try_key(
            transport, hop, key, f"ssh-agent key {getattr(key, 'comment', '') or key.get_name()}", log
        ):
            return True
    held = {k.asbytes() for k in agent_keys}
    for path, key in plain:
        if key.asbytes() not in held and _try_key(transport, hop, key, f"key {path}", log):
            return True
    for path in locked:
        if _public_blob(path) in held:
            continue  # the agent already offered it
        passphrase = _secret(secret_name, "passphrase", log)
        if passphrase is None:
            log.locked.append(path)
            continue
        key = _load(path, passphrase)
        if key is not None and _try_key(transport, hop, key, f"key {path}", log):
            return True
    return False


def _failure(hop: Hop, secret_name: str, log: _Attempts) -> str:
    where = f"{hop.user}@{hop.hostname}:{hop.port}"
    tried = ", ".join(log.tried) or "nothing (no agent key, no key file, no password)"
    text = (
        f"authentication as {where} failed; tried {tried}; the server accepts {', '.join(log.allowed) or '?'}"
    )
    if log.keyring_error:
        return f"{text}. {log.keyring_error}"
    if log.locked:
        keys = ", ".join(log.locked)
        return (
            f"{text}. The key {keys} needs a passphrase and none is in the keyring: store it with "
            f"`pipeline-designer hosts secret {secret_name} passphrase`, or load the key into "
            f"ssh-agent (`ssh-add {log.locked[0]}`)"
        )
    if "password" in log.allowed and not any("password" in t for t in log.tried):
        return f"{text}. To log in with a password: `pipeline-designer hosts secret {secret_name} password`"
    return text
