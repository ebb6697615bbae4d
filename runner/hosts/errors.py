"""The ways a host can fail us; each message names the host and what was being done."""

from __future__ import annotations


class HostError(RuntimeError):
    """A host could not be used; the message names the host and what was being done."""


class HostUnreachableError(HostError):
    pass


class HostAuthError(HostError):
    pass


class RemoteCommandError(HostError):
    """A command run on the host failed (non-zero exit, or no exit within its time limit)."""
