"""Lineage by content hash, across runs: which execution produced a file and which consumed it,
and an execution's chain of upstream executions back to the files that came from outside.

A reused execution stands for the one it reused (``reused_from``), which really ran; a task
node's own row stands for the execution of the task that wrote the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runner.store.db import RunStore


@dataclass
class Source:
    """Where one input file of an execution came from."""

    input: str
    name: str
    sha256: str
    uri: str
    producer: Upstream | None = None  # None: from outside (a file of the folder, a URL)


@dataclass
class Upstream:
    execution: dict[str, Any]
    output_path: str | None = None  # the file of it that an input is (for a producer)
    inputs: list[Source] = field(default_factory=list)
    seen_before: bool = False  # already shown higher in the chain (a diamond), not expanded again


def _actual(store: RunStore, row: dict[str, Any]) -> dict[str, Any]:
    """The execution that really ran: a reused one's original."""
    seen = set()
    while row.get("reused_from") and row["id"] not in seen:
        seen.add(row["id"])
        original = store.execution_by_id(row["reused_from"])
        if original is None:
            break
        row = original
    return row


def producer(
    store: RunStore, sha256: str, run_id: str | None = None, node: str | None = None
) -> dict[str, Any] | None:
    """The execution that wrote this content: in ``run_id`` (``node`` or a task execution of it)
    when it did there, else the first one anywhere that really ran."""
    rows = store.producers(sha256)
    if not rows:
        return None

    def rank(row: dict[str, Any]) -> tuple[int, int, int, float]:
        in_run = run_id is not None and row["run_id"] == run_id
        of_node = node is not None and (row["node"] == node or row["node"].startswith(node + "#"))
        ran = row.get("command") is not None and not row.get("reused_from")  # a task's own row has none
        return (0 if in_run and of_node else 1, 0 if ran else 1, 0 if in_run else 1, row.get("started") or 0)

    return _actual(store, min(rows, key=rank))


def upstream(store: RunStore, row: dict[str, Any], _seen: set[str] | None = None) -> Upstream:
    """``row``'s inputs, each back to the execution that produced it, recursively."""
    seen = set() if _seen is None else _seen
    row = _actual(store, row)
    node = Upstream(row)
    if row["id"] in seen:
        node.seen_before = True
        return node
    seen.add(row["id"])
    for name, files in (row.get("inputs") or {}).items():
        for f in files:
            uri = str(f.get("uri") or "")
            if uri.startswith("artifact://"):  # given by content (a reproduction): whoever made it
                made = producer(store, f["sha256"])
            elif ":" in uri and "://" not in uri:  # "<node>:<path>", an edge of this run
                made = producer(store, f["sha256"], row["run_id"], uri.partition(":")[0])
            else:  # a file of the folder, a URL: from outside
                made = None
            source = Source(name, f["name"], f["sha256"], uri)
            if made is not None:
                source.producer = upstream(store, made, seen)
                source.producer.output_path = next(
                    (o["path"] for o in store.outputs(made["id"]) if o["sha256"] == f["sha256"]), None
                )
            node.inputs.append(source)
    return node


def consumers(store: RunStore, sha256: str) -> list[dict[str, Any]]:
    """Every execution that got this content as an input (oldest first), reuses included."""
    return store.consumers(sha256)


def as_json(node: Upstream) -> dict[str, Any]:
    row = node.execution
    out: dict[str, Any] = {
        "run": row["run_id"],
        "node": row["node"],
        "execution": row["id"],
        "status": row["status"],
        "output": node.output_path,
    }
    if node.seen_before:
        out["seen_before"] = True
        return out
    out["inputs"] = [
        {
            "input": s.input,
            "name": s.name,
            "sha256": s.sha256,
            "uri": s.uri,
            "from": as_json(s.producer) if s.producer else "outside",
        }
        for s in node.inputs
    ]
    return out
