"""One no-op node through our runner vs ``docker run --rm`` of the same command, median of 10.

Target: ratio <= 1.3. Both are measured in the same process run on the same engine.
"""

from __future__ import annotations

import subprocess
import sys
import time

import docker
from runner_common import BUSYBOX, cleanup, median, timed_run, verdict, workspace, write_yaml

ROUNDS = 10


def main() -> int:
    client = docker.from_env()
    root = workspace("overhead")
    path = write_yaml(root, "- step: {name: noop, image: busybox, command: 'true'}\n")
    timed_run(path, client, step="noop", reuse=False)  # warm-up (first SQLite/schema, page cache)
    subprocess.run(
        ["docker", "run", "--rm", "--network", "none", BUSYBOX, "/bin/sh", "-c", "true"], check=True
    )
    ours, base = [], []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        subprocess.run(
            ["docker", "run", "--rm", "--network", "none", BUSYBOX, "/bin/sh", "-c", "true"], check=True
        )
        base.append(time.perf_counter() - t0)
        seconds, status, _run = timed_run(path, client, step="noop", reuse=False)
        assert status == "succeeded", status
        ours.append(seconds)
    ratio = median(ours) / median(base)
    print(
        f"runner_overhead: docker run --rm median {median(base):.3f} s, runner median {median(ours):.3f} s, "
        f"ratio {ratio:.2f} (target <= 1.3) {verdict(ratio <= 1.3)}"
    )
    return 0 if ratio <= 1.3 else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        cleanup()
