"""Steps printing fast on the real engine: while the reader of the run's events lags far behind
(what a designer that cannot keep up looks like to the runner), and a task node's executions
printing at once: every record is stored, and every event still reaches the reader, in order."""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from runner.events import Event, MetadataRecord, RunFinished
from tests.support.images import IMAGE_MAP
from tests.support.printing import EMIT, emit_yaml, run_printing, stored

pytestmark = pytest.mark.docker

LINES = 100_000
EMIT_ONE = f"""
import json
for i in range({LINES}):
    print(json.dumps({{"step": i, "loss": 1.0 / (i + 1)}}))
"""


def test_every_record_is_stored_however_slowly_events_are_read(
    project: Any, home: Path, docker_client: Any, python_image: str, container_label: dict[str, str]
) -> None:
    from runner.api import RunOptions, plan_run, start_run

    path = project(
        "- step: {name: emit, image: 'python:3.12-slim', command: python3 emit.py}\n", **{"emit.py": EMIT_ONE}
    )
    options = RunOptions(image_map=IMAGE_MAP, labels=container_label, reuse=False)
    handle = start_run(
        plan_run(path, step="emit"), options, network="none", pull="never", client=docker_client
    )
    read: list[Event] = []
    stop = threading.Event()

    def slow_reader() -> None:  # one event a millisecond: 200,000 of them would take minutes
        while not stop.is_set():
            read.append(handle.events.get())
            time.sleep(0.001)

    reader = threading.Thread(target=slow_reader, daemon=True)
    reader.start()
    assert handle.wait(120) == "succeeded"
    stop.set()
    reader.join(5)
    with sqlite3.connect(home / "runs.sqlite3") as db:
        stored = db.execute("SELECT COUNT(*), MIN(seq), MAX(seq) FROM metadata").fetchone()
    assert stored == (LINES, 0, LINES - 1)
    assert len(read) < LINES  # the reader was far behind when the run ended...
    read.extend(handle.events.get_all(0))
    records = [e.record["step"] for e in read if isinstance(e, MetadataRecord)]
    assert records == list(range(LINES))  # ...and gets every record still, in order
    assert isinstance(read[-1], RunFinished)


def test_a_task_nodes_executions_printing_at_once_have_every_record_stored(
    project: Any, home: Path, docker_client: Any, python_image: str, container_label: dict[str, str]
) -> None:
    lines, executions = 25_000, 4
    path = project(emit_yaml("python:3.12-slim", lines, executions), **{"emit.py": EMIT})
    run_id, status, read = run_printing(path, docker_client, container_label, pipeline="many")
    assert status == "succeeded"
    got = stored(home, run_id)
    assert got == {f"emit#{k}": (lines, 0, lines - 1, 0, str(k)) for k in range(1, executions + 1)}
    assert read == {k: lines for k in range(1, executions + 1)}  # every record reached the reader
    with sqlite3.connect(home / "runs.sqlite3") as db:
        spans = db.execute(
            "SELECT started, ended FROM executions WHERE run_id=? AND node LIKE 'emit#%' ORDER BY started",
            (run_id,),
        ).fetchall()
    assert all(b[0] < a[1] for a, b in itertools.pairwise(spans)), spans  # they printed at once
