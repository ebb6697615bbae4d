"""A task node's sweep: a 4 x 2 grid (8 executions of `sleep 2`) at concurrency 8.

Compared in the same run with the same work as 8 plain nodes (runner_fanout's shape) and with
8 parallel ``docker run --rm``: the sweep's own cost (expansion, per-execution bookkeeping,
progress events) is the difference from the plain fan-out.
"""

from __future__ import annotations

import subprocess
import sys
import time

import docker
from runner_common import BUSYBOX, cleanup, timed_run, workspace, write_yaml

WIDTH = 8


def main() -> int:
    client = docker.from_env()
    root = workspace("sweep")
    nodes = "\n".join(f"      - {{name: n{i}, step: s, type: execution}}" for i in range(WIDTH))
    path = write_yaml(
        root,
        f"""\
- step:
    name: s
    image: busybox
    command: "sleep 2 # {{parameter:a}} {{parameter:b}}"
    parameters:
      - {{name: a, type: integer, default: 0}}
      - {{name: b, type: integer, default: 0}}
- task:
    name: grid
    step: s
    parameters:
      - {{name: a, style: multiple, rules: {{items: [1, 2, 3, 4]}}}}
      - {{name: b, style: multiple, rules: {{items: [1, 2]}}}}
- pipeline:
    name: sweep
    nodes:
      - {{name: t, task: grid, type: task}}
    edges: []
- pipeline:
    name: fan
    nodes:
{nodes}
    edges: []
""",
    )
    sweep, status, _ = timed_run(path, client, pipeline="sweep", concurrency=WIDTH, reuse=False)
    fan, fan_status, _ = timed_run(path, client, pipeline="fan", concurrency=WIDTH, reuse=False)
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(["docker", "run", "--rm", "--network", "none", BUSYBOX, "sleep", "2"])
        for _ in range(WIDTH)
    ]
    assert all(p.wait() == 0 for p in procs)
    floor = time.perf_counter() - t0
    print(
        f"runner_sweep: a {WIDTH}-execution grid task, sleep 2 each, concurrency {WIDTH}: "
        f"{sweep:.2f} s ({status}); the same as {WIDTH} plain nodes: {fan:.2f} s ({fan_status}); "
        f"{WIDTH} parallel docker run --rm: {floor:.2f} s; ratio sweep/plain {sweep / fan:.2f}, "
        f"sweep/docker {sweep / floor:.2f}"
    )
    return 0 if status == fan_status == "succeeded" else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        cleanup()
