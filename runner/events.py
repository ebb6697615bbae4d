"""Immutable events the runner publishes (no Qt types, no internal imports).

Consumers (CLI progress display, designer bridge) subscribe with a callback or a queue;
every event is a frozen dataclass, safe to hand across threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Node statuses, in one place so the scheduler, store and CLI agree on the spelling.
PENDING = "pending"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
SKIPPED = "skipped"
CANCELLED = "cancelled"
REUSED = "reused"
INTERRUPTED = "interrupted"
TERMINAL_STATUSES = frozenset({SUCCEEDED, FAILED, SKIPPED, CANCELLED, REUSED, INTERRUPTED})
OK_STATUSES = frozenset({SUCCEEDED, REUSED})


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    pipeline: str | None
    nodes: tuple[str, ...]
    time: float


@dataclass(frozen=True)
class NodeStateChanged:
    run_id: str
    node: str
    status: str
    time: float
    exit_code: int | None = None
    message: str = ""
    reused_from: str | None = None


@dataclass(frozen=True)
class LogLine:
    """One line of a node's log; ``stream`` is "stdout", "stderr" or "runner" (our own notes)."""

    run_id: str
    node: str
    stream: str
    text: str
    time: float


@dataclass(frozen=True)
class MetadataRecord:
    """A stdout line that was a JSON object (contract §7); ``record`` includes ``_time``."""

    run_id: str
    node: str
    record: dict[str, Any] = field(hash=False)
    time: float = 0.0


@dataclass(frozen=True)
class RunFinished:
    run_id: str
    status: str
    node_statuses: dict[str, str] = field(hash=False)
    time: float = 0.0


Event = RunStarted | NodeStateChanged | LogLine | MetadataRecord | RunFinished
