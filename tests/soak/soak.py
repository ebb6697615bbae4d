"""The fault soak (``make soak``; not part of ``make test``): many runs of a 5-node pipeline on
the real engine with the runner killed at random (SIGKILL, SIGTERM, or left alone) at a random
moment, ``gc`` now and then while a run goes on, then a final ``gc`` and the checks:

- no container of any soak run is left (running or stopped),
- no run is left ``running``,
- no blob in the artifact store that no run references, no temp file, no work folder,
- ``PRAGMA integrity_check`` is ok and ``gc --verify`` finds every referenced file intact.

    .venv/bin/python -m tests.soak.soak --runs 200      # SOAK_RUNS=200 make soak

It prints its figures (what was done, statuses, how long the dead-man switch took to stop the
containers of a killed runner) and exits 1 if a check fails.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.support.images import BUSYBOX
from tests.support.paths import REPO

RUN_LABEL = "pipeline-designer.run-id"


def _step(name: str, reads: bool) -> str:
    inputs = "\n    inputs: [{name: up}]" if reads else ""
    copy = f" && cat /valohai/inputs/up/* >> /valohai/outputs/{name}.bin" if reads else ""
    return f"""\
- step:
    name: {name}
    image: {BUSYBOX}
    command:
      - echo started
      - sleep 0.5
      - "head -c 20000 /dev/urandom > /valohai/outputs/{name}.bin{copy}"
      - "echo '{{\\"loss\\": 0.5}}'"
      - sleep 0.3{inputs}
"""


PIPELINE = (
    _step("prep", False)
    + _step("train_a", True)
    + _step("train_b", True)
    + _step("merge", True)
    + _step("report", True)
    + """\
- pipeline:
    name: soak
    nodes:
      - {name: prep, type: execution, step: prep}
      - {name: train_a, type: execution, step: train_a}
      - {name: train_b, type: execution, step: train_b}
      - {name: merge, type: execution, step: merge}
      - {name: report, type: execution, step: report}
    edges:
      - [prep.output.prep.bin, train_a.input.up]
      - [prep.output.prep.bin, train_b.input.up]
      - [train_a.output.train_a.bin, merge.input.up]
      - [train_b.output.train_b.bin, merge.input.up]
      - [merge.output.merge.bin, report.input.up]
"""
)


class Soak:
    def __init__(self, root: Path, seed: int) -> None:
        import docker

        self.root, self.home, self.rng = root, root / "home", random.Random(seed)
        self.yaml = root / "project" / "valohai.yaml"
        self.yaml.parent.mkdir(parents=True)
        self.yaml.write_text(PIPELINE)
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "PYTHONUNBUFFERED": "1",  # the run id line survives a SIGKILL
            "PIPELINE_DESIGNER_HOME": str(self.home),
            "PIPELINE_DESIGNER_CONFIG": str(root / "config"),
        }
        self.client = docker.from_env(timeout=60)
        self.run_ids: list[str] = []
        self.actions: collections.Counter[str] = collections.Counter()
        self.stop_seconds: list[float] = []
        self.gc_during: list[str] = []
        self.failures: list[str] = []

    def cli(self, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "designer.cli", *argv]
        return subprocess.run(cmd, cwd=REPO, env=self.env, capture_output=True, text=True, timeout=timeout)

    def one_run(self, i: int) -> None:
        action = self.rng.choices(["none", "SIGTERM", "SIGKILL"], weights=[3, 3.5, 3.5])[0]
        cmd = [sys.executable, "-m", "designer.cli", "run", str(self.yaml), "--pipeline", "soak"]
        cmd += ["--pull", "never", "--network", "none"]
        if i % 4:
            cmd.append("--no-reuse")  # every fourth run may reuse what earlier runs left
        proc = subprocess.Popen(
            cmd, cwd=REPO, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        gc = threading.Thread(target=self._gc_during) if i % 10 == 5 else None
        if gc is not None:
            gc.start()
        if action != "none":
            time.sleep(self.rng.uniform(0.3, 5.0))
            proc.send_signal(getattr(signal, action))
        try:
            out, err = proc.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            self.failures.append(f"run {i}: the runner did not end within 180 s")
        if gc is not None:
            gc.join()
        if "Traceback" in err:
            self.failures.append(f"run {i} ({action}): a traceback: {err[-2000:]}")
        found = re.search(r"^run (\S+): ", out, re.M)
        if found is None:  # killed before it said its id (it had no run yet, or started none)
            self.actions[f"{action} before the run started"] += 1
            return
        run_id = found.group(1)
        self.run_ids.append(run_id)
        self.actions[action if proc.returncode is not None else "?"] += 1
        if action == "SIGKILL":
            self.stop_seconds.append(self._seconds_until_stopped(run_id))

    def _gc_during(self) -> None:
        time.sleep(self.rng.uniform(0.5, 2.0))
        done = self.cli("gc", "--keep-last", "3")
        if done.returncode != 0 or "Traceback" in done.stderr:
            self.failures.append(f"gc during a run failed: {done.stderr[-2000:]}")
        self.gc_during.append(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "")

    def _running(self, run_id: str) -> list[Any]:
        mine = {"label": f"{RUN_LABEL}={run_id}"}
        return list(self.client.containers.list(ignore_removed=True, filters=mine))

    def _seconds_until_stopped(self, run_id: str, limit: float = 60) -> float:
        t0 = time.monotonic()
        while self._running(run_id):
            if time.monotonic() - t0 > limit:
                self.failures.append(f"run {run_id}: containers still running {limit:g} s after SIGKILL")
                break
            time.sleep(0.2)
        return time.monotonic() - t0

    def finish(self) -> dict[str, Any]:
        for run_id in self.run_ids:  # the dead-man switch of any runner still ending
            self._seconds_until_stopped(run_id)
        time.sleep(1.5)  # gc keeps files changed in the last second (a run might have just begun)
        before = self._leftovers()
        final = self.cli("gc")
        if final.returncode != 0:
            self.failures.append(f"final gc failed: {final.stderr}")
        verify = self.cli("gc", "--verify")
        if verify.returncode != 0:
            self.failures.append(f"gc --verify: {verify.stdout}")
        return {
            "left by the kills before the final gc": before,
            "final gc": "; ".join(final.stdout.strip().splitlines()),
            "verify": verify.stdout.strip().splitlines()[0],
        } | self._check()

    def _leftovers(self) -> dict[str, int]:
        from runner.store.db import RunStore

        store = RunStore(self.home / "runs.sqlite3")
        try:
            used = store.blob_users()
        finally:
            store.close()
        blobs = {p.name for p in (self.home / "artifacts" / "sha256").rglob("*") if p.is_file()}
        work = self.home / "work"
        return {
            "unreferenced blobs": len(blobs - used),
            "temp files": len(list((self.home / "artifacts" / "tmp").iterdir())),
            "work folders": len(list(work.iterdir())) if work.is_dir() else 0,
            "stopped containers": len(self._ours(status="exited")),
        }

    def _ours(self, **filters: str) -> list[Any]:
        """The soak's containers (other users of the engine may add and remove theirs meanwhile)."""
        found = self.client.containers.list(
            all=True, ignore_removed=True, filters={"label": RUN_LABEL, **filters}
        )
        return [c for c in found if c.labels.get(RUN_LABEL) in set(self.run_ids)]

    def _check(self) -> dict[str, Any]:
        from runner.store.artifacts import ArtifactStore
        from runner.store.db import RunStore

        left = [c.name for c in self._ours()]
        if left:
            self.failures.append(f"containers left: {left}")
        store, artifacts = RunStore(self.home / "runs.sqlite3"), ArtifactStore(self.home / "artifacts")
        try:
            store.mark_dead_runs()
            statuses = collections.Counter(r["status"] for r in store.run_rows())
            if statuses.get("running"):
                self.failures.append(f"{statuses['running']} run(s) left running")
            integrity = store._query("PRAGMA integrity_check")[0]["integrity_check"]
            if integrity != "ok":
                self.failures.append(f"integrity_check: {integrity}")
            blobs = {p.name for p in (artifacts.root / "sha256").rglob("*") if p.is_file()}
            unreferenced = blobs - store.blob_users()
            if unreferenced:
                self.failures.append(f"{len(unreferenced)} unreferenced blob(s) after gc")
            temps = list((artifacts.root / "tmp").iterdir())
            if temps:
                self.failures.append(f"{len(temps)} temp file(s) left: {temps[:5]}")
            work = [p for p in (self.home / "work").iterdir()] if (self.home / "work").is_dir() else []
            if work:
                self.failures.append(f"work folders left: {work[:5]}")
            executions = collections.Counter(
                r["status"] for r in store._query("SELECT status FROM executions")
            )
        finally:
            store.close()
        return {
            "runs kept after gc": dict(statuses),
            "their executions": dict(executions),
            "blobs after gc": len(blobs),
            "containers left": len(left),
            "integrity_check": integrity,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("SOAK_RUNS", "200")))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the soak's folder (printed) afterwards")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="pd-soak-"))
    soak = Soak(root, args.seed)
    t0 = time.monotonic()
    for i in range(args.runs):
        soak.one_run(i)
        if (i + 1) % 10 == 0:
            print(f"  {i + 1}/{args.runs} runs, {time.monotonic() - t0:.0f} s", flush=True)
    figures = soak.finish()
    stops = sorted(soak.stop_seconds)
    print(f"soak: {args.runs} runs of a 5-node pipeline in {time.monotonic() - t0:.0f} s (seed {args.seed})")
    print(f"  runner: {dict(soak.actions)}")
    if stops:
        print(
            f"  containers stopped after a SIGKILL of the runner: median {stops[len(stops) // 2]:.1f} s, "
            f"max {stops[-1]:.1f} s ({len(stops)} kills)"
        )
    last = soak.gc_during[-1] if soak.gc_during else "-"
    print(f"  gc during a run: {len(soak.gc_during)} times; last said: {last}")
    for key, value in figures.items():
        print(f"  {key}: {value}")
    for failure in soak.failures:
        print(f"FAILED: {failure}")
    print("soak: ok" if not soak.failures else f"soak: {len(soak.failures)} check(s) failed")
    if args.keep or soak.failures:
        print(f"  the soak's folder: {root}")
    else:
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    return 1 if soak.failures else 0


if __name__ == "__main__":
    sys.exit(main())
