"""SSH password / key passphrase, kept only in the system keyring (never in files or messages)."""

from __future__ import annotations

import keyring
import keyring.errors

SERVICE = "pipeline-designer"
KINDS = ("password", "passphrase")


class SecretStoreError(RuntimeError):
    pass


def _user(host: str, kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"secret kind {kind!r} is not one of {', '.join(KINDS)}")
    return f"{host}:{kind}"


def get_secret(host: str, kind: str) -> str | None:
    try:
        return keyring.get_password(SERVICE, _user(host, kind))
    except keyring.errors.KeyringError as exc:
        raise SecretStoreError(f"cannot read the {kind} of host {host!r} from the keyring: {exc}") from None


def set_secret(host: str, kind: str, secret: str) -> None:
    try:
        keyring.set_password(SERVICE, _user(host, kind), secret)
    except keyring.errors.KeyringError as exc:
        raise SecretStoreError(f"cannot store the {kind} of host {host!r} in the keyring: {exc}") from None


def delete_secret(host: str, kind: str) -> bool:
    try:
        keyring.delete_password(SERVICE, _user(host, kind))
    except keyring.errors.PasswordDeleteError:
        return False
    return True
