"""What system metrics cost: the same fan-out run with sampling on and off, in the same process.

Four nodes at once each run a fixed CPU-bound loop (~2-3 s) in its own container and print the
loop's own time, read from /proc/uptime inside the container. With sampling, each container has
its Docker stats stream read on a thread of the runner once a second. Rounds alternate which
goes first; figures: the step's own time inside its container and the whole run's wall time
(medians, and on over off as the median of each round's pair), and the runner process's own CPU
time (all its threads). Targets: inside <= 1.05, whole run <= 1.05.
"""

from __future__ import annotations

import os
import resource
import sys
import time

import docker
from runner_common import IMAGE_MAP, cleanup, median, verdict, workspace, write_yaml

from runner.api import RunOptions, open_store, plan_run, start_run

ROUNDS = 6
NODES = 4
LOOP = 800_000  # iterations of the shell loop: ~3 s on this machine (idle) with 4 at once
STEP = f"""
- step:
    name: spin
    image: busybox
    command: >-
      a=$(cut -d' ' -f1 /proc/uptime); i=0; while [ $i -lt {LOOP} ]; do i=$((i+1)); done;
      b=$(cut -d' ' -f1 /proc/uptime); echo "$a $b" | awk '{{printf "{{\\"inside\\": %.2f}}\\n", $2 - $1}}'
- pipeline:
    name: fan
    nodes:
"""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def one_run(path, client, sampling: bool) -> tuple[float, float, float, int]:  # type: ignore[no-untyped-def]
    """(median inside seconds, wall seconds, runner CPU seconds, system samples stored)."""
    plan = plan_run(path, pipeline="fan")
    options = RunOptions(image_map=IMAGE_MAP, reuse=False, system_metrics=sampling, concurrency=NODES)
    cpu0, t0 = _cpu(), time.perf_counter()
    handle = start_run(plan, options, network="none", pull="never", client=client)
    status = handle.wait()
    wall, cpu = time.perf_counter() - t0, _cpu() - cpu0
    assert status == "succeeded", status
    _home, store, _artifacts = open_store()
    try:
        rows = store.executions(handle.run_id)
        inside = [store.metadata(r["id"])[-1]["inside"] for r in rows]
        samples = sum(len(store.system_samples(r["id"])) for r in rows)
    finally:
        store.close()
    return median(inside), wall, cpu, samples


def main() -> int:
    client = docker.from_env()
    root = workspace("system-metrics")
    nodes = "".join(f"      - {{name: n{i}, type: execution, step: spin}}\n" for i in range(NODES))
    path = write_yaml(root, STEP + nodes + "    edges: []\n")
    one_run(path, client, True)  # warm-up
    on: list[tuple[float, float, float, int]] = []
    off: list[tuple[float, float, float, int]] = []
    for i in range(ROUNDS):  # alternating which goes first, so a drift in load hits both alike
        for sampling in (False, True) if i % 2 == 0 else (True, False):
            (on if sampling else off).append(one_run(path, client, sampling))
    # each round's on/off pair ran back to back: the median of their ratios resists a drift in
    # the machine's load (this machine is shared) better than a ratio of medians
    inside = median([a[0] / b[0] for a, b in zip(on, off, strict=True)])
    wall = median([a[1] / b[1] for a, b in zip(on, off, strict=True)])
    cpu_on, cpu_off = median([r[2] for r in on]), median([r[2] for r in off])
    samples = median([r[3] for r in on])
    assert all(r[3] == 0 for r in off) and samples > 0
    extra_ms = (cpu_on - cpu_off) / samples * 1000
    print(
        f"system_metrics: {NODES} nodes at once, {ROUNDS} rounds; step inside its container "
        f"{median([r[0] for r in off]):.2f} s without sampling, {median([r[0] for r in on]):.2f} s with "
        f"(paired ratio {inside:.3f}, target <= 1.05) {verdict(inside <= 1.05)}; whole run "
        f"{median([r[1] for r in off]):.2f} s vs {median([r[1] for r in on]):.2f} s "
        f"(paired ratio {wall:.3f}, target <= 1.05) {verdict(wall <= 1.05)}; "
        f"runner CPU {cpu_off:.2f} s vs {cpu_on:.2f} s "
        f"for {samples:.0f} samples ({extra_ms:.1f} ms a sample); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    return 0 if inside <= 1.05 and wall <= 1.05 else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        cleanup()
