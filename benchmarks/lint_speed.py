"""Lint time for a generated config (500 steps, a 500-node pipeline) and CLI start-up.

Targets (foundation issue): lint < 1 s; `pipeline-designer lint` start-up < 0.4 s.
Each figure is printed with a baseline measured in the same run: PyYAML's own parse of the
same file (lint can't be faster than reading it) and `python -c pass` for start-up.

    .venv/bin/python benchmarks/lint_speed.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _generate import big_config

from runner.config import lint, load_text


def median_time(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    text = big_config()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    parse = median_time(lambda: yaml.load(text, Loader=loader))
    lint(load_text(text))  # warm caches (schema validator)
    full = median_time(lambda: lint(load_text(text)))
    diagnostics = lint(load_text(text))
    print(f"config: {len(text) / 1024:.0f} KiB, 500 steps, 500 nodes, {text.count('.output.')} edges")
    print(
        f"lint (load + validate + checks): {full * 1000:.0f} ms  (target < 1000 ms); "
        f"{len(diagnostics)} messages"
    )
    print(f"baseline PyYAML parse:           {parse * 1000:.0f} ms  ratio {full / parse:.1f}x")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "valohai.yaml"
        path.write_text("- step: {name: s, image: busybox, command: 'true'}\n")
        cli = [sys.executable, "-m", "designer.cli", "lint", str(path)]
        start_up = median_time(lambda: subprocess.run(cli, capture_output=True, check=True), repeat=7)
        bare = median_time(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), repeat=7)
        big = Path(tmp) / "big.yaml"
        big.write_text(text)
        cli_big = median_time(lambda: subprocess.run([*cli[:-1], str(big)], capture_output=True), repeat=3)
    print(f"CLI start-up, small file:        {start_up * 1000:.0f} ms  (target < 400 ms)")
    print(f"baseline `python -c pass`:       {bare * 1000:.0f} ms  ratio {start_up / bare:.1f}x")
    print(f"CLI on the 500-step file:        {cli_big * 1000:.0f} ms")


if __name__ == "__main__":
    main()
