"""One no-op node through our runner vs ``docker run --rm`` of the same command, median of 10:
in process (``start_run``) and end to end through the CLI (``pipeline-designer run``, a new
process each time: imports, store, engine handshake, the run, teardown), and the same CLI command
with the resident runner on (``PIPELINE_DESIGNER_RESIDENT=1``, warm: runner.resident), which is
what a user iterating on one node gets once they turn it on.

Target: ratio <= 1.3 for the in-process and the resident figures; the cold CLI's ratio is printed
beside them (it pays ~0.2 s of imports no process that starts cold can avoid). All are measured
in the same process run on the same engine, alternating. Where the CLI's extra time goes is
printed beside it, measured in the same rounds: a Python that does nothing (``python -c pass``)
and one that only imports what a ``run`` imports (the Docker SDK, valohai-yaml with jsonschema,
PyYAML and the runner's own modules).

    .venv/bin/python benchmarks/runner_overhead.py
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker
from runner_common import BUSYBOX, cleanup, median, timed_run, verdict, workspace, write_yaml

ROUNDS = 10


# An installed copy has its bytecode compiled (pip does it); a shell that sets
# PYTHONDONTWRITEBYTECODE would make every CLI start compile every module again.
# PIPELINE_DESIGNER_CLI=/path/to/pipeline-designer times another build's command (before/after).
def cli_program() -> str:
    return os.environ.get("PIPELINE_DESIGNER_CLI") or str(Path(sys.executable).with_name("pipeline-designer"))


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
RUN_IMPORTS = (
    "import runner.cli.main, runner.cli.run_cmd, runner.api, runner.execution.executor, "
    "runner.execution.docker_backend, runner.config.official_lint, valohai_yaml.objs"
)


def main() -> int:
    client = docker.from_env()
    root = workspace("overhead")
    path = write_yaml(root, "- step: {name: noop, image: busybox, command: 'true'}\n")
    timed_run(path, client, step="noop", reuse=False)  # warm-up (first SQLite/schema, page cache)
    subprocess.run(
        ["docker", "run", "--rm", "--network", "none", BUSYBOX, "/bin/sh", "-c", "true"], check=True
    )
    cli = [
        cli_program(), "run", str(path), "--step", "noop",
        "--network", "none", "--pull", "never", "--no-reuse", "--image-map", f"busybox={BUSYBOX}",
    ]  # fmt: skip
    subprocess.run(cli, check=True, capture_output=True, env=ENV)  # warm-up (bytecode, page cache)
    sockets = tempfile.mkdtemp(prefix="pdr-")
    resident_env = {**ENV, "PIPELINE_DESIGNER_RESIDENT": "1"}
    resident_env["PIPELINE_DESIGNER_RESIDENT_DIR"] = f"{sockets}/r"
    try:
        return _rounds(client, path, cli, resident_env, f"{sockets}/r")
    finally:
        _stop_resident(f"{sockets}/r")
        shutil.rmtree(sockets, ignore_errors=True)


def _rounds(client: docker.DockerClient, path: Path, cli: list[str], resident_env: dict[str, str],
            sockets: str) -> int:  # fmt: skip
    _warm_resident(cli, resident_env, sockets)
    ours, base, ends, bare, imports, warm = [], [], [], [], [], []
    for _ in range(ROUNDS):
        bare.append(_timed([sys.executable, "-c", "pass"]))
        imports.append(_timed([sys.executable, "-c", RUN_IMPORTS]))
        t0 = time.perf_counter()
        subprocess.run(cli, check=True, capture_output=True, env=ENV)
        ends.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        subprocess.run(cli, check=True, capture_output=True, env=resident_env)
        warm.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        subprocess.run(
            ["docker", "run", "--rm", "--network", "none", BUSYBOX, "/bin/sh", "-c", "true"], check=True
        )
        base.append(time.perf_counter() - t0)
        seconds, status, _run = timed_run(path, client, step="noop", reuse=False)
        assert status == "succeeded", status
        ours.append(seconds)
    ratio = median(ours) / median(base)
    end_ratio = median(ends) / median(base)
    warm_ratio = median(warm) / median(base)
    served = sum(p.read_text().count("serving child") for p in Path(sockets).glob("*.log"))
    assert served >= ROUNDS + 1, f"the resident runner served {served} of {ROUNDS + 1} commands"
    print(
        f"runner_overhead: docker run --rm median {median(base):.3f} s, runner median {median(ours):.3f} s, "
        f"ratio {ratio:.2f} (target <= 1.3) {verdict(ratio <= 1.3)}"
    )
    print(
        f"runner_overhead: pipeline-designer run (CLI, end to end) median {median(ends):.3f} s, "
        f"ratio {end_ratio:.2f} (cold: a new process with every import)"
    )
    print(
        "runner_overhead: pipeline-designer run (CLI, resident runner on, warm) "
        f"median {median(warm):.3f} s, ratio {warm_ratio:.2f} (target <= 1.3) {verdict(warm_ratio <= 1.3)}"
    )
    print(f"runner_overhead: load average {os.getloadavg()[0]:.1f} (wall times grow with it)")
    print(
        f"runner_overhead: of the CLI's time, `python -c pass` {median(bare):.3f} s and its imports alone "
        f"{median(imports):.3f} s ({median(imports) / median(base):.2f} of docker run --rm)"
    )
    return 0 if ratio <= 1.3 and warm_ratio <= 1.3 else 1


def _warm_resident(cli: list[str], env: dict[str, str], sockets: str) -> None:
    """The first command starts the resident process; wait until it serves one."""
    deadline = time.monotonic() + 120
    subprocess.run(cli, check=True, capture_output=True, env=env)
    while not any(p.read_text().count("serving child") for p in Path(sockets).glob("*.log")):
        assert time.monotonic() < deadline, "the resident runner did not start"
        time.sleep(0.2)
        subprocess.run(cli, check=True, capture_output=True, env=env)


def _stop_resident(sockets: str) -> None:
    for pid_file in Path(sockets).glob("*.pid"):
        with contextlib.suppress(ValueError, ProcessLookupError):
            os.kill(int(pid_file.read_text()), signal.SIGTERM)


def _timed(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=ENV)
    return time.perf_counter() - t0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        cleanup()
