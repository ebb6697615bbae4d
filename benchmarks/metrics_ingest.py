"""Metrics ingestion: one step printing 100,000 JSON metric lines, through the real runner and
the real engine, against the same command under a plain ``docker run`` (same run, same engine).

    .venv/bin/python benchmarks/metrics_ingest.py [--lines 100000] [--rounds 3] [--flush] [--no-designer]

Measured (medians over the rounds, plain and runner alternating):

1. plain ``docker run --rm`` of ``python3 emit.py`` with its stdout read through a pipe and the
   environment the runner gives a step (``PYTHONUNBUFFERED=1``: every print is a write of its
   own): the step's own time (it prints it on stderr) and the wall time;
2. the same step through ``runner.api.start_run`` on the bind-mount backend, its events read as
   the CLI reads them: every record in the store (counted there), the step's own time inside
   the container, the whole run's wall time;
3. with the designer attached (``RunController`` into an offscreen ``MetricsPanel``): records
   reaching the plot model and the frame time while they stream.

Targets (issue 14): step inside <= 1.1x the plain run, whole run <= 1.5x, every record stored;
with the designer, every record reaches the plot model and a frame stays <= 33 ms.
"""

from __future__ import annotations

import argparse
import math
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import docker
from runner_common import cleanup, verdict, workspace, write_yaml

from runner.api import RunOptions, plan_run, start_run
from runner.events import LogLine, MetadataRecord, RunFinished

PYTHON = "pipeline-designer-test/python:1"
EMIT = """
import json, sys, time
n, flush = int(sys.argv[1]), sys.argv[2] == "1"
t0 = time.perf_counter()
for i in range(n):
    print(json.dumps({"step": i, "loss": 1.0 / (i + 1), "accuracy": i / n}), flush=flush)
sys.stdout.flush()
print(f"emit-seconds {time.perf_counter() - t0:.6f}", file=sys.stderr, flush=True)
"""
TICK = """
import json, time
for i in range(40):
    print(json.dumps({"tick": i, "t": time.time()}), flush=True)
    time.sleep(0.05)
"""


def _step_seconds(lines: list[str]) -> float:
    for line in lines:
        if line.startswith("emit-seconds "):
            return float(line.split()[1])
    raise RuntimeError(f"the step did not say how long it took: {lines[-5:]}")


def plain_run(project: Path, n: int, flush: bool) -> tuple[float, float, int]:
    """``docker run --rm`` of the step, stdout read through a pipe: (step s, wall s, lines)."""
    argv = ["docker", "run", "--rm", "--network", "none", "-v", f"{project}:/w:ro", "-w", "/w"]
    # The environment the runner gives every step (docs/runtime.md §2): unbuffered Python, so
    # each print is a write of its own there too, as a step's output is on the platform.
    argv += ["-e", "PYTHONUNBUFFERED=1"]
    argv += [PYTHON, "python3", "emit.py", str(n), "1" if flush else "0"]
    t0 = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, check=True)
    wall = time.perf_counter() - t0
    return _step_seconds(done.stderr.decode().splitlines()), wall, done.stdout.count(b"\n")


def runner_run(path: Path, client: Any, home: Path) -> tuple[float, float, int, int]:
    """The step through the runner, events read as the CLI does: (step s, wall s, records
    emitted, records in the store)."""
    plan = plan_run(path, step="emit")
    options = RunOptions(image_map={}, reuse=False)
    t0, cpu0 = time.perf_counter(), time.process_time()
    handle = start_run(plan, options, network="none", pull="never", client=client, home=home)
    emitted, stderr = 0, []
    finished = False
    while not finished:
        for event in handle.events.get_all():
            if isinstance(event, MetadataRecord):
                emitted += 1
            elif isinstance(event, LogLine) and event.stream == "stderr":
                stderr.append(event.text)
            elif isinstance(event, RunFinished):
                finished = True
    status = handle.wait()
    wall = time.perf_counter() - t0
    CPU.append(time.process_time() - cpu0)
    assert status == "succeeded", status
    return _step_seconds(stderr), wall, emitted, stored_records(home, handle.run_id)


CPU: list[float] = []  # this process's CPU seconds for each runner run


def stored_records(home: Path, run_id: str) -> int:
    with sqlite3.connect(home / "runs.sqlite3") as db:
        row = db.execute(
            "SELECT COUNT(*) FROM metadata m JOIN executions e ON e.id = m.execution_id WHERE e.run_id=?",
            (run_id,),
        ).fetchone()
    return int(row[0])


def designer_run(
    path: Path, client: Any, home: Path, n: int, step: str = "emit"
) -> tuple[int, list[float], float, list[float]]:
    """The same run with the designer's run bridge feeding an offscreen Metrics panel: (records
    in the plot model, frame times while streaming, seconds until all were there, and for a
    step printing its own time ``t``: each point's delay from the print to the frame drawing it)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    import designer  # noqa: F401  (its import guards the PySide6 None-refcount bug)
    from designer.bridge.run_controller import RunController
    from designer.run.metrics_dock import MetricsPanel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    ctl = RunController()
    panel = MetricsPanel()
    panel.resize(1000, 450)
    panel.show()
    ctl.events.records_arrived.connect(panel.add_records)
    frames: list[float] = []
    delays: list[float] = []
    plot = panel.plot
    refresh = plot.refresh

    def timed_refresh() -> None:  # what the plot's 25 Hz timer does, timed (with the repaint)
        t = time.perf_counter()
        refresh()
        panel.plot_widget.viewport().repaint()
        frames.append(time.perf_counter() - t)
        now = time.time()
        for source in panel.sources.values():
            if "t" in source.columns:
                printed = source.columns["t"].view()
                delays.extend((now - printed[len(delays) :]).tolist())

    plot._timer.timeout.disconnect(refresh)
    plot._timer.timeout.connect(timed_refresh)
    finished: list[object] = []
    ctl.events.run_finished.connect(finished.append)
    t0 = time.perf_counter()
    ctl.start(
        plan_run(path, step=step),
        RunOptions(reuse=False),
        network="none",
        pull="never",
        client=client,
        home=home,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and (not finished or _plotted(panel) < n):
        app.processEvents()
        time.sleep(0.002)
    took = time.perf_counter() - t0
    got = _plotted(panel)
    ctl.shutdown()
    panel.shutdown()
    panel.close()
    app.processEvents()
    return got, frames, took, delays


def _plotted(panel: Any) -> int:
    return sum(len(source) for source in panel.sources.values())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--flush", action="store_true", help="the step flushes every line (one write each)")
    ap.add_argument("--no-designer", action="store_true")
    args = ap.parse_args()
    n, flush = args.lines, args.flush
    client = docker.from_env()
    root = workspace("ingest")
    project = root / "project"
    (project / "emit.py").write_text(EMIT)
    (project / "tick.py").write_text(TICK)
    path = write_yaml(
        root,
        f"""
        - step:
            name: emit
            image: {PYTHON}
            command: python3 emit.py {n} {int(flush)}
        - step:
            name: tick
            image: {PYTHON}
            command: python3 tick.py
        """,
    )
    home = Path(os.environ["PIPELINE_DESIGNER_HOME"])
    plain_run(project, 10, flush)  # warm-up: page cache, the engine's image
    runner_run(path, client, home)
    plain_step, plain_wall, ours_step, ours_wall = [], [], [], []
    all_stored = True
    for _ in range(args.rounds):
        step, wall, lines = plain_run(project, n, flush)
        assert lines == n, lines
        plain_step.append(step)
        plain_wall.append(wall)
        step, wall, emitted, stored = runner_run(path, client, home)
        ours_step.append(step)
        ours_wall.append(wall)
        all_stored = all_stored and emitted == n and stored == n
        print(
            f"  round: plain step {plain_step[-1]:.3f} s wall {plain_wall[-1]:.3f} s; runner step "
            f"{step:.3f} s wall {wall:.3f} s; records emitted {emitted:,}, stored {stored:,}"
        )
    med = statistics.median
    inside = med(ours_step) / med(plain_step)
    whole = med(ours_wall) / med(plain_wall)
    how = "flushed every line" if flush else "unbuffered Python: a write per print, as a step runs"
    print(f"metrics_ingest: {n:,} JSON lines ({how}), median of {args.rounds}")
    print(f"  plain docker run: step {med(plain_step):.3f} s, wall {med(plain_wall):.3f} s")
    print(f"  runner:           step {med(ours_step):.3f} s, wall {med(ours_wall):.3f} s")
    print(
        f"  step inside the container: x{inside:.2f} the plain run (target <= 1.1) {verdict(inside <= 1.1)}"
    )
    print(f"  whole run: x{whole:.2f} the plain run (target <= 1.5) {verdict(whole <= 1.5)}")
    paired = sorted(o / p for o, p in zip(ours_wall, plain_wall, strict=True))
    print(  # each round's two runs back to back: less at the mercy of a load that drifts
        f"  whole run, each round's own ratio: {', '.join(f'x{r:.2f}' for r in paired)} "
        f"(median x{med(paired):.2f})"
    )
    print(f"  every record stored: {verdict(all_stored)}")
    print(f"  the runner's CPU (this process, all threads): {med(CPU[1:]) / n * 1e6:.1f} us a line")
    ok = inside <= 1.1 and whole <= 1.5 and all_stored
    if not args.no_designer:
        got, frames, took, _ = designer_run(path, client, home, n)
        frame = med(frames) if frames else 0.0
        p95 = sorted(frames)[int(len(frames) * 0.95)] if frames else 0.0
        print(
            f"  designer attached: {got:,} of {n:,} records in the plot model after {took:.2f} s "
            f"{verdict(got == n)}; frame while streaming median {frame * 1e3:.1f} ms, "
            f"p95 {p95 * 1e3:.1f} ms over {len(frames)} frames (target <= 33 ms) {verdict(frame <= 0.033)}"
        )
        _, _, _, delays = designer_run(path, client, home, 40, step="tick")
        delay = med(delays) if delays else math.inf
        print(
            f"  designer attached, 20 records/s: print to plot median {delay * 1e3:.0f} ms, max "
            f"{max(delays or [math.inf]) * 1e3:.0f} ms over {len(delays)} points (target <= 100 ms) "
            f"{verdict(delay <= 0.1 and len(delays) == 40)}"
        )
        ok = ok and got == n and frame <= 0.033 and delay <= 0.1 and len(delays) == 40
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        cleanup()
