"""Modules imported on first use, not when something merely names them.

The Docker SDK imports paramiko (for ``ssh://`` engines) when it is itself imported, and
paramiko with its cryptography is a third of a ``pipeline-designer run``'s start-up (~80 ms)
even when every node runs on the local engine. ``defer("paramiko")`` puts a stand-in into
``sys.modules``: ``import paramiko`` binds it at once, and the first attribute anyone reads
from it imports the real module (once, under a lock) and answers from there on. Our SSH code
(runner.hosts) and the SDK's SSH transport use paramiko only inside functions, so nothing is
imported before a remote host is used.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from typing import Any

_LOCK = threading.RLock()


class _Deferred(types.ModuleType):
    def __getattr__(self, attr: str) -> Any:
        return getattr(_load(self), attr)


def _load(stand_in: _Deferred) -> types.ModuleType:
    name = stand_in.__name__
    with _LOCK:
        real = stand_in.__dict__.get("_deferred_real")
        if real is None:
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
            real = importlib.import_module(name)
            # Whoever bound the stand-in now finds the real module's names on it directly.
            stand_in.__dict__.update(real.__dict__)
            stand_in.__dict__["_deferred_real"] = real
    return real


def defer(name: str) -> None:
    """Import ``name`` on first use (nothing changes if it is imported already)."""
    with _LOCK:
        if name not in sys.modules:
            sys.modules[name] = _Deferred(name)
