"""Steps that print metric lines fast, and what the store must hold after them: the ingestion
tests' shared parts (tests/runner/execution/test_ingest_docker.py, tests/runner/hosts)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

# Prints LINES records {"k": K, "i": i, "loss": ...} in bursts (so the executions of a task
# print at the same time), K from --k=K (a task's parameter) or 0.
EMIT = """
import json, sys, time
k = int(next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--k=")), 0))
lines, burst = int(sys.argv[1]), 2000
for i in range(lines):
    print(json.dumps({"k": k, "i": i, "loss": 1.0 / (i + 1)}))
    if i % burst == burst - 1:
        time.sleep(0.05)
"""


def emit_yaml(image: str, lines: int, executions: int = 0) -> str:
    """A step ``emit`` printing ``lines`` records; with ``executions``, a pipeline ``many`` whose
    task node ``emit`` runs it that many times (k = 1 … executions)."""
    text = f"""
    - step:
        name: emit
        image: {image}
        command: python3 emit.py {lines} {{parameters}}
        parameters:
          - {{name: k, type: integer, default: 0}}
    """
    if executions:
        items = ", ".join(str(k) for k in range(1, executions + 1))
        text += f"""
    - task:
        name: sweep
        step: emit
        parameters:
          - {{name: k, style: multiple, rules: {{items: [{items}]}}}}
    - pipeline:
        name: many
        nodes:
          - {{name: emit, type: task, task: sweep}}
        edges: []
    """
    return text


def stored(home: Path, run_id: str) -> dict[str, tuple[Any, ...]]:
    """Per execution (node name) of the run: (records, first seq, last seq, records whose
    printed ``i`` is not their seq (out of order or lost), the distinct ``k`` printed)."""
    with sqlite3.connect(home / "runs.sqlite3") as db:
        rows = db.execute(
            "SELECT e.node, COUNT(m.seq), MIN(m.seq), MAX(m.seq), "
            "SUM(json_extract(m.record, '$.i') != m.seq), "
            "GROUP_CONCAT(DISTINCT json_extract(m.record, '$.k')) "
            "FROM executions e JOIN metadata m ON m.execution_id = e.id WHERE e.run_id = ? GROUP BY e.id",
            (run_id,),
        ).fetchall()
    return {node: tuple(rest) for node, *rest in rows}


def run_printing(
    path: Path, client: Any, labels: dict[str, str], hosts: list[str] | None = None, **plan: Any
) -> tuple[str, str, dict[int | None, int]]:
    """Run it on the real engine (``hosts``: over SSH) while a reader takes its events:
    (run id, status, MetadataRecord events read per task execution (None: a plain node))."""
    from runner.api import RunOptions, plan_run, start_run
    from runner.events import MetadataRecord, RunFinished
    from tests.support.images import IMAGE_MAP

    options = RunOptions(image_map=IMAGE_MAP, labels=labels, reuse=False, concurrency=4)
    handle = start_run(
        plan_run(path, **plan), options, network="none", pull="never", client=client, hosts=hosts
    )
    read: dict[int | None, int] = {}
    finished = False
    while not finished:
        for event in handle.events.get_all(timeout=300):
            if isinstance(event, MetadataRecord):
                read[event.child] = read.get(event.child, 0) + 1
            finished = finished or isinstance(event, RunFinished)
    status = handle.wait(60)
    return handle.run_id, str(status), read
