"""A fan-out of 8 nodes sleeping 2 s at concurrency 8: target makespan <= 3.5 s.

Also measured in the same run: 8 parallel ``docker run --rm`` of the same command, the floor
this engine and machine allow (container start-up under contention dominates on small hosts).
"""

from __future__ import annotations

import subprocess
import sys
import time

import docker
from runner_common import BUSYBOX, cleanup, timed_run, verdict, workspace, write_yaml

WIDTH = 8


def main() -> int:
    client = docker.from_env()
    root = workspace("fanout")
    nodes = "\n".join(f"      - {{name: n{i}, step: s, type: execution}}" for i in range(WIDTH))
    path = write_yaml(
        root,
        f"""\
- step: {{name: s, image: busybox, command: "sleep 2"}}
- pipeline:
    name: fan
    nodes:
{nodes}
    edges: []
""",
    )
    makespan, status, _ = timed_run(path, client, pipeline="fan", concurrency=WIDTH, reuse=False)
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(["docker", "run", "--rm", "--network", "none", BUSYBOX, "sleep", "2"])
        for _ in range(WIDTH)
    ]
    assert all(p.wait() == 0 for p in procs)
    floor = time.perf_counter() - t0
    ok = status == "succeeded" and makespan <= 3.5
    print(
        f"runner_fanout: {WIDTH} x sleep 2 at concurrency {WIDTH}: makespan {makespan:.2f} s "
        f"(target <= 3.5 s) {verdict(ok)}; {WIDTH} parallel docker run --rm: {floor:.2f} s, "
        f"ratio {makespan / floor:.2f}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        cleanup()
