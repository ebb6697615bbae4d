"""The line protocol between the runner and the driver: one JSON object per line each way.

Runner -> driver: ``{"op": ..., "req": n?, ...}``; a request with ``req`` gets exactly one
``{"ev": "reply", "req": n, ...}`` (or ``{"ev": "reply", "req": n, "error": text}``).
Driver -> runner: ``ready`` once connected (or ``fatal`` and exit), ``nodes`` when the
cluster changes, and per unit ``placed``, ``note``, ``out``, ``stats`` and finally ``done``.
Output bytes travel base64-encoded (a step may print anything); bulk files (inputs, outputs,
images) go by SFTP into the driver's work folder, never through these lines.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Dict

VERSION = 1
SLOT_RESOURCE = "pipeline_designer_slot"  # docs/scale-out.md: a node's Docker slots


def encode(message: Dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode("utf-8") + b"\n"


def decode(line: bytes) -> Dict[str, Any]:
    """One message; ValueError for anything that is not a JSON object."""
    message = json.loads(line.decode("utf-8"))
    if not isinstance(message, dict):
        raise ValueError("not a protocol message: " + line[:200].decode("utf-8", "replace"))
    return message


def pack(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unpack(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))
