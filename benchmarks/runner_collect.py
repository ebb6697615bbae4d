"""Collecting a 1 GB output vs ``cp`` of the same file on the same disk: target >= 0.5x cp's speed.

The collection time is the runner's own "collected ... in T s" log line (walking the outputs,
sha256 of every file, moving it into the artifact store); ``cp`` copies the same 1 GB file on
the same disk right after (both see the page cache equally warm). The span from the step's
last line to the node's final status (container exit and removal included) is printed too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import docker
from runner_common import cleanup, verdict, workspace, write_yaml

from runner.events import LogLine, NodeStateChanged

SIZE_MB = 1024


def main() -> int:
    client = docker.from_env()
    root = workspace("collect")
    path = write_yaml(
        root,
        f"""\
- step:
    name: big
    image: busybox
    command: "head -c {SIZE_MB}m /dev/urandom > /valohai/outputs/big.bin && echo written"
""",
    )
    marks: dict[str, float] = {}

    def on_event(event: object) -> None:
        if isinstance(event, LogLine) and event.text == "written":
            marks["written"] = time.perf_counter()
        if isinstance(event, LogLine) and event.text.startswith("collected "):
            marks["collect"] = float(event.text.rsplit(" in ", 1)[1].split()[0])
        if isinstance(event, NodeStateChanged) and event.status == "succeeded":
            marks["done"] = time.perf_counter()

    import runner.api as api

    plan = api.plan_run(path, step="big")
    handle = api.start_run(
        plan,
        api.RunOptions(image_map={"busybox": "pipeline-designer-test/busybox:1"}, reuse=False),
        network="none",
        pull="never",
        client=client,
        on_event=on_event,
    )
    assert handle.wait() == "succeeded"
    # container exit + removal sit between "written" and "done" too: that only makes us look slower
    span_s = marks["done"] - marks["written"]
    collect_s = marks["collect"]
    src = next(p for p in (root / "home" / "artifacts" / "sha256").rglob("*") if p.is_file())
    dest = root / "copy.bin"
    subprocess.run(["sync"], check=True)
    t0 = time.perf_counter()
    subprocess.run(["cp", str(src), str(dest)], check=True)
    cp_s = time.perf_counter() - t0
    os.unlink(dest)
    ratio = cp_s / collect_s
    ok = ratio >= 0.5
    print(
        f"runner_collect: {SIZE_MB} MB output collected in {collect_s:.2f} s "
        f"({SIZE_MB / collect_s:.0f} MB/s); cp {cp_s:.2f} s ({SIZE_MB / cp_s:.0f} MB/s); "
        f"speed ratio {ratio:.2f} of cp (target >= 0.5) {verdict(ok)}; "
        f"last line to final status {span_s:.2f} s"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        cleanup()
