"""Metrics plot speed: JSON parsing, a 1,000,000-point series redrawn while 10,000 points/s arrive.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/metrics_plot.py [--points 1000000]

Baselines are measured in the same run: a plain numpy copy of the series, and the same plot
with a 10,000-point series (append, setData, repaint). Ratios say how the big cases compare.
Targets (issue 5):
parsing >= 200,000 lines/s, frame time <= 33 ms while appending 10,000 points/s to 1,000,000.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from PySide6.QtWidgets import QApplication

import designer  # noqa: F401  (its import guards the PySide6 None-refcount bug)
from designer.run import envelope
from designer.run.metrics_dock import MetricsPanel
from designer.run.series import MetricSource
from runner.metadata import parse_metadata_line

FRAME_S = 0.04  # the plot timer's period (25 Hz)
RATE = 10_000  # points per second appended during the frame-time measurement


def parse_rate(n: int = 200_000) -> tuple[float, float]:
    lines = [json.dumps({"epoch": i, "loss": 1 / (i + 1), "accuracy": i / n}) for i in range(n)]
    t = time.perf_counter()
    records = [parse_metadata_line(line) for line in lines]
    parse_s = time.perf_counter() - t
    src = MetricSource("r", "n")
    t = time.perf_counter()
    src.add_records(records)  # type: ignore[arg-type]
    buffer_s = time.perf_counter() - t
    return n / parse_s, n / buffer_s


def _fill(src: MetricSource, n: int) -> None:
    """Bulk-fill a source with n points (what add_records would build, without the Python loop)."""
    x = np.arange(n, dtype=float)
    loss = np.exp(-x / n * 5) + np.random.default_rng(0).normal(0, 0.02, n)
    src.fill(x * 0.001, {"loss": loss})


def frame_times(panel: MetricsPanel, src: MetricSource, seconds: float) -> list[float]:
    """Each frame: append RATE*FRAME_S points, setData on the changed curve, repaint; time it."""
    per_frame = int(RATE * FRAME_S)
    times = []
    start = len(src)
    rng = np.random.default_rng(1)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        i0 = len(src) - start
        recs = [{"loss": float(v)} for v in 0.5 + rng.normal(0, 0.02, per_frame)]
        t = time.perf_counter()
        src.add_records(recs)
        panel.plot.refresh()
        panel.plot_widget.viewport().repaint()
        times.append(time.perf_counter() - t)
        QApplication.processEvents()
        del i0
    return times


EMIT_PY = """
import json, sys, time
for i in range(60):
    print(json.dumps({"step": i, "loss": 1.0 / (i + 1), "t": time.time()}), flush=True)
    time.sleep(0.05)
"""


def print_to_plot_latency(app: QApplication) -> list[float]:
    """A real run (local-process backend, no Docker needed) through the bridge into the dock:
    the time from a step's print to the frame that draws the point."""
    import tempfile
    import textwrap

    from designer.bridge.run_controller import RunController
    from runner.api import RunOptions, plan_run

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "emit.py").write_text(EMIT_PY)
        (root / "valohai.yaml").write_text(
            textwrap.dedent(
                f"""
                - step:
                    name: emit
                    image: none
                    command: {sys.executable} emit.py
                """
            )
        )
        ctl = RunController()
        panel = MetricsPanel()
        panel.resize(900, 400)
        panel.show()
        ctl.events.records_arrived.connect(panel.add_records)
        latencies: list[float] = []
        drawn = [0]

        def on_frame() -> None:
            now = time.time()
            for source in panel.sources.values():
                if "t" in source.columns:
                    t = source.columns["t"].view()
                    latencies.extend((now - t[drawn[0] :]).tolist())
                    drawn[0] = len(t)

        panel.plot.frame_drawn.connect(on_frame)
        finished: list[object] = []
        ctl.events.run_finished.connect(finished.append)
        ctl.start(
            plan_run(root / "valohai.yaml", step="emit"), RunOptions(), backend="local", home=root / "home"
        )
        end = time.monotonic() + 60
        while not finished and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.002)
        end = time.monotonic() + 1
        while time.monotonic() < end:  # the last frame
            app.processEvents()
            time.sleep(0.002)
        ctl.shutdown()
        panel.shutdown()
        panel.close()
        return latencies


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    lines_s, buffer_s = parse_rate()
    print(f"JSON metadata lines parsed: {lines_s:,.0f} lines/s (target >= 200,000)")
    print(f"records into numpy buffers: {buffer_s:,.0f} records/s")

    arr = np.random.default_rng(0).random(args.points)
    t = time.perf_counter()
    for _ in range(20):
        arr.copy()
    copy_s = (time.perf_counter() - t) / 20
    print(f"baseline: numpy copy of {args.points:,} floats {copy_s * 1e3:.2f} ms")
    rows = []
    base_s = None
    default_reduction = envelope.RAW_PER_COLUMN
    for label, points, weight in (
        ("10,000-point series, not reduced (baseline)", 10_000, 0.0),
        ("10,000-point series, raw", 10_000, 0.0),
        (f"{args.points:,}-point series, raw", args.points, 0.0),
        (f"{args.points:,}-point series, EMA 0.9 + faint raw", args.points, 0.9),
    ):
        envelope.RAW_PER_COLUMN = 10**9 if "baseline" in label else default_reduction
        panel = MetricsPanel()
        panel.resize(1000, 450)
        panel.show()
        app.processEvents()
        src = MetricSource("bench-run", "train")
        _fill(src, points)
        panel.sources[("bench-run", "train")] = src
        panel.plot.set_curves([(src, "loss")])
        panel.plot.set_smoothing(weight)
        t = time.perf_counter()
        panel.plot.refresh()
        panel.plot_widget.viewport().repaint()
        first_s = time.perf_counter() - t
        times = frame_times(panel, src, args.seconds)
        med, p95 = statistics.median(times), float(np.percentile(times, 95))
        base_s = base_s or med
        rows.append((label, med, p95))
        print(
            f"{label}: first draw {first_s * 1e3:.1f} ms; frame while appending {RATE:,} points/s: "
            f"median {med * 1e3:.1f} ms, p95 {p95 * 1e3:.1f} ms (x{med / base_s:.2f} the 10k baseline, "
            f"x{med / copy_s:.1f} a numpy copy)"
        )
        panel.shutdown()
        panel.close()
        del panel
        app.processEvents()
    lat = print_to_plot_latency(app)
    lat_ok = len(lat) == 60 and statistics.median(lat) <= 0.3
    if lat:
        print(
            f"print-to-plot latency over {len(lat)} points (real run, local backend): "
            f"median {statistics.median(lat) * 1e3:.0f} ms, max {max(lat) * 1e3:.0f} ms (target <= 300 ms)"
        )
    else:
        print("print-to-plot latency: no point arrived")
    # Panels were shut down explicitly above: clear plots, close, drop references
    # (docs/architecture.md "Shutdown").
    missed = [
        name
        for name, good in (
            ("print-to-plot latency", lat_ok),
            ("JSON parsing rate (runner.metadata.parse_metadata_line)", lines_s >= 200_000),
            ("frame time", all(med <= 0.033 for label, med, _p in rows if "baseline" not in label)),
        )
        if not good
    ]
    ok = not missed
    print("all targets met" if ok else "below target: " + "; ".join(missed))
    return 0 if ok else 1


if __name__ == "__main__":
    code = main()
    QApplication.instance().quit()
    sys.exit(code)
