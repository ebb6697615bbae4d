"""Lint of a generated config (500 steps, a 500-node pipeline, ~1,000 edges), in process and
through `pipeline-designer lint` end to end (a new process: start-up, imports, read, lint, print).

Targets (issue 14): `pipeline-designer lint` of the 500-step file < 300 ms; start-up on a
small file < 400 ms (foundation issue). Each figure is printed with a baseline measured in the
same run: PyYAML's own parse of the same file (lint can't be faster than reading it) and
`python -c pass` (a process that does nothing), and the ratio to it.

    .venv/bin/python benchmarks/lint_speed.py
"""

from __future__ import annotations

import os
import resource
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

TARGET_CLI_MS = 300
TARGET_START_MS = 400


# An installed copy has its bytecode compiled (pip does it); a shell that sets
# PYTHONDONTWRITEBYTECODE would make every start compile every module again.
# PIPELINE_DESIGNER_CLI=/path/to/pipeline-designer times another build's command (before/after).
def cli_program() -> str:
    return os.environ.get("PIPELINE_DESIGNER_CLI") or str(Path(sys.executable).with_name("pipeline-designer"))


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def median_time(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    text = big_config()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    parse = median_time(lambda: yaml.load(text, Loader=loader))
    lint(load_text(text))  # warm caches (schema validators)
    full = median_time(lambda: lint(load_text(text)))
    diagnostics = lint(load_text(text))
    print(f"config: {len(text) / 1024:.0f} KiB, 500 steps, 500 nodes, {text.count('.output.')} edges")
    print(f"lint in process (load + validate + checks): {full * 1000:.0f} ms; {len(diagnostics)} messages")
    print(f"baseline PyYAML parse of the same text:     {parse * 1000:.0f} ms  ratio {full / parse:.1f}x")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "valohai.yaml"
        path.write_text("- step: {name: s, image: busybox, command: 'true'}\n")
        big = Path(tmp) / "big.yaml"
        big.write_text(text)
        cli = [cli_program(), "lint"]

        cpu: dict[str, list[float]] = {}

        def run(*argv: str) -> None:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([*argv], capture_output=True, check=True, env=ENV)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            cpu.setdefault(argv[-1], []).append(used)

        run(*cli, str(big))  # warm-up: bytecode, page cache
        bare = median_time(lambda: run(sys.executable, "-c", "pass"), repeat=7)
        start_up = median_time(lambda: run(*cli, str(path)), repeat=7)
        cli_big = median_time(lambda: run(*cli, str(big)), repeat=7)
        cpu_big, cpu_bare = statistics.median(cpu[str(big)]), statistics.median(cpu["pass"])
    ok_big, ok_start = cli_big * 1000 < TARGET_CLI_MS, start_up * 1000 < TARGET_START_MS
    print(f"baseline `python -c pass`:                  {bare * 1000:.0f} ms")
    print(
        f"`pipeline-designer lint` small file:        {start_up * 1000:.0f} ms  ratio {start_up / bare:.1f}x"
        f"  (target < {TARGET_START_MS} ms) {'PASS' if ok_start else 'MISS'}"
    )
    print(
        f"`pipeline-designer lint` 500-step file:     {cli_big * 1000:.0f} ms  ratio {cli_big / bare:.1f}x"
        f" to python -c pass, {cli_big / parse:.1f}x to the parse  (target < {TARGET_CLI_MS} ms) "
        f"{'PASS' if ok_big else 'MISS'}"
    )
    # On a shared machine the wall times above grow with its load; CPU time much less so.
    print(
        f"CPU time of the process (user+sys): 500-step lint {cpu_big * 1000:.0f} ms, "
        f"`python -c pass` {cpu_bare * 1000:.0f} ms; load average {os.getloadavg()[0]:.1f}"
    )
    return 0 if ok_big and ok_start else 1


if __name__ == "__main__":
    sys.exit(main())
