"""A 3-second step on the local engine has its system samples in the store and in the run's
events, and ``metrics RUN/NODE --system --csv`` exports them."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runner.events import SystemSampled
from runner.store.db import RunStore
from tests.support.paths import REPO

pytestmark = pytest.mark.docker

# Three seconds of a busy shell: CPU to see, then it ends by itself.
BUSY = """
- step:
    name: busy
    image: busybox
    command: end=$(( $(date +%s) + 3 )); while [ $(date +%s) -lt $end ]; do :; done
"""


def test_a_three_second_step_is_sampled_once_a_second(project, run_yaml, home: Path) -> None:
    outcome = run_yaml(project(BUSY), step="busy")
    assert outcome.status == "succeeded", outcome.events
    live = [s for e in outcome.events if isinstance(e, SystemSampled) and e.node == "busy" for s in e.samples]
    store = RunStore(home / "runs.sqlite3")
    try:
        row = store.execution(outcome.run_id, "busy")
        stored = store.system_samples(row["id"])
        assert store.gpu_note(row["id"]) == ""
    finally:
        store.close()
    assert stored == live  # what the designer plotted live is what a past run shows
    assert len(stored) >= 2, stored
    times = [s.time for s in stored]
    assert times == sorted(times) and row["started"] - 1 <= times[0] and times[-1] <= row["ended"] + 1
    assert all(s.memory_bytes and s.memory_limit_bytes and s.gpus == () for s in stored)
    assert any(s.cpu_percent and s.cpu_percent > 5 for s in stored), stored  # the busy loop shows

    env = {**os.environ, "PIPELINE_DESIGNER_HOME": str(home)}
    target = f"{outcome.run_id}/busy"
    done = subprocess.run(
        [sys.executable, "-m", "designer.cli", "metrics", target, "--system", "--csv"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0]) == ["time", "cpu_percent", "memory_bytes", "memory_limit_bytes"]
    assert len(rows) == len(stored) and rows[0]["time"].endswith("Z")
    assert [int(r["memory_bytes"]) for r in rows] == [s.memory_bytes for s in stored]
    assert done.stderr == ""  # no GPU note: none assigned
