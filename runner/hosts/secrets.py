"""SSH password / key passphrase, kept only in the system keyring (never in files or messages).

The keyring is opened only when a secret is really needed (an encrypted key that no agent
holds, a password login): a host reached with an unencrypted key or through ssh-agent works on
a machine that has no keyring at all.
"""

from __future__ import annotations

import keyring
import keyring.errors

SERVICE = "pipeline-designer"
KINDS = ("password", "passphrase")
NO_KEYRING_FIX = (
    "no system keyring is available on this machine. Install a Secret Service (such as "
    "gnome-keyring) or the keyrings.alt package, or load the key into ssh-agent (`ssh-add KEY`)"
)


class SecretStoreError(RuntimeError):
    pass


def _user(host: str, kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"secret kind {kind!r} is not one of {', '.join(KINDS)}")
    return f"{host}:{kind}"


def _why(exc: keyring.errors.KeyringError) -> str:
    # keyring's own text for a missing backend points at a web page; ours names the fixes.
    if isinstance(exc, keyring.errors.NoKeyringError):
        return NO_KEYRING_FIX
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def get_secret(host: str, kind: str) -> str | None:
    try:
        return keyring.get_password(SERVICE, _user(host, kind))
    except keyring.errors.KeyringError as exc:
        raise SecretStoreError(
            f"cannot read the {kind} of host {host!r} from the keyring: {_why(exc)}"
        ) from None


def set_secret(host: str, kind: str, secret: str) -> None:
    try:
        keyring.set_password(SERVICE, _user(host, kind), secret)
    except keyring.errors.KeyringError as exc:
        raise SecretStoreError(
            f"cannot store the {kind} of host {host!r} in the keyring: {_why(exc)}"
        ) from None


def delete_secret(host: str, kind: str) -> bool:
    try:
        keyring.delete_password(SERVICE, _user(host, kind))
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.KeyringError:  # no keyring here: nothing of ours can be in one
        return False
    return True
