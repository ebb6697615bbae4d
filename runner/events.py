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
# Not terminal: a node paused by a require-approval action until someone approves or rejects it.
AWAITING_APPROVAL = "awaiting-approval"
# A run (not a node) ended by a stop-pipeline action: nothing failed, the rest did not run.
STOPPED = "stopped"
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
    child: int | None = None  # 1-based execution of a task node; None: the node itself


@dataclass(frozen=True)
class LogLine:
    """One line of a node's log; ``stream`` is "stdout", "stderr" or "runner" (our own notes)."""

    run_id: str
    node: str
    stream: str
    text: str
    time: float
    child: int | None = None  # 1-based execution of a task node


@dataclass(frozen=True)
class MetadataRecord:
    """A stdout line that was a JSON object (docs/runtime.md §7); ``record`` includes ``_time``."""

    run_id: str
    node: str
    record: dict[str, Any] = field(hash=False)
    time: float = 0.0
    child: int | None = None  # 1-based execution of a task node


_new, _set = object.__new__, object.__setattr__  # a frozen instance's __dict__, given whole


def log_line(run_id: str, node: str, stream: str, text: str, time: float, child: int | None) -> LogLine:
    """``LogLine(run_id, node, stream, text, time, child)``, equal to what the constructor makes,
    built by giving the event its ``__dict__`` whole: the generated ``__init__`` of a frozen dataclass
    sets every field through ``object.__setattr__`` and costs three times as much, which a step
    printing 100,000 lines a second pays on every line (runner.execution.ingest)."""
    event = _new(LogLine)
    _set(
        event,
        "__dict__",
        {"run_id": run_id, "node": node, "stream": stream, "text": text, "time": time, "child": child},
    )
    return event


def metadata_record(
    run_id: str, node: str, record: dict[str, Any], time: float, child: int | None
) -> MetadataRecord:
    """``MetadataRecord(run_id, node, record, time, child)``, built as ``log_line`` builds its."""
    event = _new(MetadataRecord)
    _set(event, "__dict__", {"run_id": run_id, "node": node, "record": record, "time": time, "child": child})
    return event


@dataclass(frozen=True)
class RunFinished:
    run_id: str
    status: str
    node_statuses: dict[str, str] = field(hash=False)
    time: float = 0.0


@dataclass(frozen=True)
class TaskExpanded:
    """A task node's sweep, expanded: ``children[i]`` are the parameters of execution ``i + 1``."""

    run_id: str
    node: str
    children: tuple[dict[str, Any], ...] = field(hash=False)
    time: float = 0.0


@dataclass(frozen=True)
class TaskProgress:
    """Counts of a task node's executions (the node's "3/6" counter)."""

    run_id: str
    node: str
    total: int
    running: int
    succeeded: int
    failed: int
    time: float = 0.0


@dataclass(frozen=True)
class ApprovalRequested:
    """A require-approval action paused ``node``; answer with ``RunHandle.approve/reject``."""

    run_id: str
    node: str
    when: str  # "node-starting" (before it runs) or "node-complete" (before its results go on)
    reason: str
    time: float = 0.0


@dataclass(frozen=True)
class ApprovalResolved:
    run_id: str
    node: str
    approved: bool
    time: float = 0.0


@dataclass(frozen=True)
class EndpointReady:
    """A deployment node's endpoint container answers HTTP at ``url`` (on 127.0.0.1)."""

    run_id: str
    node: str
    endpoint: str
    url: str
    container: str
    time: float = 0.0


@dataclass(frozen=True)
class EndpointStopped:
    run_id: str
    node: str
    endpoint: str
    time: float = 0.0


@dataclass(frozen=True)
class DebuggerListening:
    """A node run with --debug waits for a debugger at ``host:port`` (always 127.0.0.1 here: a
    remote host's port is forwarded over its SSH connection); ``script`` is the file it runs.
    With ``debugger="pycharm"`` it waits for PyCharm's debug server, which the runner connects it
    to once it answers at ``host:port`` (the user starts it in PyCharm)."""

    run_id: str
    node: str
    host: str
    port: int
    script: str = ""
    time: float = 0.0
    debugger: str = "debugpy"  # or "pycharm"


@dataclass(frozen=True)
class ReuseDecided:
    """Why a unit is reused or runs: which rule decided (``reused`` is True when an earlier
    execution stands for it). ``reason``: "reused: none of the 3 files train read changed",
    "re-ran: train.py changed", "ran: no earlier execution of train"."""

    run_id: str
    node: str
    reused: bool
    reason: str
    time: float
    child: int | None = None  # 1-based execution of a task node


@dataclass(frozen=True)
class GpuFigures:
    """One GPU's figures in a system sample, as ``nvidia-smi`` on the unit's host reported them
    (None: the driver did not say, "[N/A]")."""

    index: str  # the host's GPU index (what ``gpu_ids`` name)
    util_percent: float | None
    memory_bytes: int | None
    memory_total_bytes: int | None = None


@dataclass(frozen=True)
class SystemSample:
    """A running unit's container, sampled once a second (runner.sysmetrics): CPU in percent of
    one core (200 = two cores busy), resident memory and the container's limit, and the GPUs
    assigned to it; None where the engine gave no figure (the first sample has no CPU yet)."""

    time: float  # unix time at which the runner received it (the clock of the metadata's _time)
    cpu_percent: float | None
    memory_bytes: int | None
    memory_limit_bytes: int | None
    gpus: tuple[GpuFigures, ...] = ()


@dataclass(frozen=True)
class SystemSampled:
    """New system samples of a running unit; ``gpu_note`` says why there are no GPU figures
    (nvidia-smi missing or failing on its host), "" when there is nothing to say."""

    run_id: str
    node: str
    samples: tuple[SystemSample, ...] = field(hash=False)
    gpu_note: str = ""
    time: float = 0.0
    child: int | None = None  # 1-based execution of a task node


Event = (
    RunStarted
    | NodeStateChanged
    | LogLine
    | MetadataRecord
    | RunFinished
    | TaskExpanded
    | TaskProgress
    | ApprovalRequested
    | ApprovalResolved
    | EndpointReady
    | EndpointStopped
    | DebuggerListening
    | ReuseDecided
    | SystemSampled
)
