"""A 10-node unchanged pipeline re-run with reuse: target < 1 s and zero containers started."""

from __future__ import annotations

import sys
import time

import docker
from runner_common import cleanup, timed_run, verdict, workspace, write_yaml

NODES = 10


def main() -> int:
    client = docker.from_env()
    root = workspace("reuse")
    nodes = "\n".join(f"      - {{name: n{i}, step: s, type: execution}}" for i in range(NODES))
    edges = "\n".join(f"      - [n{i}.output.*, n{i + 1}.input.in]" for i in range(NODES - 1))
    path = write_yaml(
        root,
        f"""\
- step:
    name: s
    image: busybox
    command:
      - cat /valohai/inputs/in/* > /valohai/outputs/out.txt 2>/dev/null
      - echo x >> /valohai/outputs/out.txt
    inputs: [{{name: in, optional: true}}]
- pipeline:
    name: chain
    nodes:
{nodes}
    edges:
{edges}
""",
    )
    first, status, _ = timed_run(path, client, pipeline="chain", concurrency=8)
    assert status == "succeeded", status
    since = time.time()
    again, status, run_id = timed_run(path, client, pipeline="chain", concurrency=8)
    created = list(
        client.events(
            since=int(since),
            until=int(time.time()) + 1,
            decode=True,
            filters={"type": "container", "event": "create", "label": f"pipeline-designer.run-id={run_id}"},
        )
    )
    ok = status == "succeeded" and again < 1.0 and not created
    print(
        f"runner_reuse: first run {first:.2f} s; unchanged re-run {again:.3f} s, containers started "
        f"{len(created)} (target < 1 s, 0) {verdict(ok)}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        cleanup()
