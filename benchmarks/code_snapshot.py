"""The cost of keeping each run's code snapshot: a no-op node on a 50 MB repository, run with the
snapshot kept (every file in the artifact store, per-file dedup) and without it (hashed only),
first run and re-runs with one file changed, alternating in the same run.

Target: on a re-run the snapshot adds at most 5 % of the no-op node's time.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import docker
from runner_common import IMAGE_MAP, cleanup, median, verdict, workspace, write_yaml

from runner.api import RunOptions, plan_run, start_run

FILES, FILE_BYTES, RERUNS = 400, 128 * 1024, 7  # 400 x 128 KiB = 50 MiB of incompressible code


def _repository(root: Path) -> list[Path]:
    files = []
    for i in range(FILES):
        path = root / "project" / f"pkg{i % 20}" / f"module_{i}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(FILE_BYTES))
        os.utime(path, (time.time() - 60, time.time() - 60))  # not "just written" (hash cache)
        files.append(path)
    return files


def _run(path: Path, client: object, home: Path, keep: bool) -> float:
    plan = plan_run(path, step="noop")
    options = RunOptions(image_map=IMAGE_MAP, reuse=False, keep_code=keep)
    t0 = time.perf_counter()
    handle = start_run(plan, options, network="none", pull="never", client=client, home=home)
    status = handle.wait()
    took = time.perf_counter() - t0
    assert status == "succeeded", status
    return took


def main() -> int:
    client = docker.from_env()
    root = workspace("snapshot")
    path = write_yaml(root, "- step: {name: noop, image: busybox, command: 'true'}\n")
    files = _repository(root)
    homes = {True: root / "home-kept", False: root / "home-hashed"}
    first = {keep: _run(path, client, homes[keep], keep) for keep in (False, True)}
    rerun: dict[bool, list[float]] = {True: [], False: []}
    for i in range(RERUNS):
        files[i].write_bytes(os.urandom(FILE_BYTES))  # one file changed, as between two user runs
        order = (True, False) if i % 2 else (False, True)
        for keep in order:
            rerun[keep].append(_run(path, client, homes[keep], keep))
    kept, hashed = median(rerun[True]), median(rerun[False])
    extra = (kept - hashed) / hashed * 100
    stored = sum(p.stat().st_size for p in (homes[True] / "artifacts" / "sha256").rglob("*") if p.is_file())
    ok = extra <= 5.0
    print(
        f"code_snapshot: 50 MiB repository, no-op node; first run {first[True]:.2f} s kept vs "
        f"{first[False]:.2f} s hashed only; re-run with one file changed (median of {RERUNS}) "
        f"{kept:.3f} s kept vs {hashed:.3f} s hashed only: {extra:+.1f} % (target <= 5 %); "
        f"artifact store after {RERUNS + 1} runs: {stored / 2**20:.1f} MiB {verdict(ok)}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        cleanup()
