"""Ray backend: per-node overhead on a real cluster against the local engine, and a fan-out of
8 x ``sleep 2`` across the workers against the same fan-out on one engine (same run). The
overhead is shown with the head's shared driver already running (every run after the first)
and with a driver started for the run (the first run, or after it idled out).

Starts the tests' cluster on 127.0.0.1 (tests.support.ray_cluster: a head and two workers with
private engines; root, dockerd and Ray needed) and the tests' throwaway sshd, runs through
``runner.api`` exactly as ``pipeline-designer run --host`` does, and prints the ratios.

    .venv/bin/python benchmarks/ray_backend.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NOOP = 5  # one-node runs timed on each side (the median is shown)
FAN_OUT = 8


def _yaml(nodes: int, command: str) -> str:
    listing = "\n".join(f"      - {{name: n{i}, type: execution, step: s}}" for i in range(nodes))
    return (
        textwrap.dedent(
            f"""\
        - step:
            name: s
            image: pipeline-designer-test/busybox:1
            command: {command}
        - pipeline:
            name: p
            nodes:
        """
        )
        + listing
        + "\n    edges: []\n"
    )


def _timed(path: Path, hosts: list[str]) -> float:
    from tests.support import ray_runs

    t0 = time.perf_counter()
    record = ray_runs.run(path, "p", hosts, reuse=False)
    assert record.status == "succeeded", record.lines
    return time.perf_counter() - t0


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="pd-bench-ray-"))
    os.environ["PIPELINE_DESIGNER_HOME"] = str(tmp / "home")
    os.environ["PIPELINE_DESIGNER_CONFIG"] = str(tmp / "config")
    os.environ["HOME"] = str(tmp / "sshhome")
    (tmp / "sshhome" / ".ssh").mkdir(parents=True)
    os.environ.pop("SSH_AUTH_SOCK", None)
    from runner.hosts.known_hosts import KnownHosts, fetch_host_key
    from runner.hosts.registry import HostConfig, HostRegistry
    from tests.sshd.sshd_server import ThrowawaySshd
    from tests.support.ray_cluster import RayTestCluster, drivers, stop_drivers

    cluster = RayTestCluster().start()
    print(f"cluster up in {cluster.up_s:.1f} s (head + 2 workers, private engines)")
    try:
        with ThrowawaySshd() as server:
            url = f"ray+ssh://{server.user}@127.0.0.1:{server.port}"
            key, address = str(server.key.path), cluster.address
            HostRegistry().add(HostConfig("bench", url, key, ray_address=address, ray_python=sys.executable))
            KnownHosts().trust("127.0.0.1", server.port, fetch_host_key("127.0.0.1", server.port))
            one, fan = tmp / "one" / "valohai.yaml", tmp / "fan" / "valohai.yaml"
            for path, text in ((one, _yaml(1, "echo ok")), (fan, _yaml(FAN_OUT, "sleep 2"))):
                path.parent.mkdir()
                path.write_text(text)
            first = _timed(one, ["bench"])  # starts the head's driver, ships the image to a worker
            local = sorted(_timed(one, ["local"]) for _ in range(NOOP))[NOOP // 2]
            ray = sorted(_timed(one, ["bench"]) for _ in range(NOOP))[NOOP // 2]
            cold = []
            for _ in range(NOOP):  # the driver started anew for the run, as every run did before
                stop_drivers(address)
                while drivers(address):
                    time.sleep(0.05)
                cold.append(_timed(one, ["bench"]))
            cold_s = sorted(cold)[NOOP // 2]
            print(f"first run on the cluster (starts the head's driver, ships the image): {first:.2f} s")
            print(
                f"one no-op node, whole run: local engine {local:.2f} s, Ray cluster {ray:.2f} s "
                f"({ray / local:.2f}x; +{ray - local:.2f} s: SSH and relay, Ray task, archives); "
                f"with a driver started for the run {cold_s:.2f} s (+{cold_s - local:.2f} s)"
            )
            fan_local = _timed(fan, ["local"])
            fan_ray = _timed(fan, ["bench"])  # Ray starts a worker process for each node not yet warm
            fan_again = _timed(fan, ["bench"])  # the driver's worker processes are warm now
            print(
                f"{FAN_OUT} x sleep 2: one local engine {fan_local:.2f} s, "
                f"across 2 workers {fan_ray:.2f} s ({fan_ray / fan_local:.2f}x), "
                f"again {fan_again:.2f} s ({fan_again / fan_local:.2f}x; the workers' processes warm)"
            )
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
