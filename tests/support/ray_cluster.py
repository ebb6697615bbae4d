"""A real multi-node Ray cluster on 127.0.0.1 for the Ray tests: a head and two workers, each
worker with a private Docker engine of its own.

Each private engine has its own data-root, exec-root, socket and pidfile, ``--bridge none`` and
no iptables, and runs in a network namespace of its own (``unshare --net``): this engine
version deletes the host's ``docker0`` when it starts with ``--bridge none`` in the host's
namespace, which would cut the main engine's containers off. Its containers have no network
(only their loopback), and it starts with no images: whatever a test runs there was shipped
by the Ray backend. ``docker0_state`` lets the fixture check the main engine's bridge is as it
was.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.paths import REPO


class ClusterUnavailable(RuntimeError):
    pass


def docker0_state() -> str:
    """The main engine's bridge as ``ip`` shows it (index and name), "" when there is none."""
    done = subprocess.run(["ip", "-o", "link", "show", "docker0"], capture_output=True, text=True)
    return done.stdout.split(":", 2)[0] + ":docker0" if done.returncode == 0 else ""


def drivers(address: str) -> list[int]:
    """The pids of the head's long-lived drivers for this cluster (runner/ray/remote/daemon.py)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--serve" in argv and address.encode() in argv:
            found.append(int(proc.name))
    return found


def stop_drivers(address: str) -> None:
    """The drivers the tests' runs started: they would wait out their idle time on a cluster
    that is gone."""
    for pid in drivers(address):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


@dataclass
class PrivateEngine:
    root: Path

    @property
    def socket(self) -> Path:
        return self.root / "docker.sock"

    @property
    def docker_host(self) -> str:
        return f"unix://{self.socket}"

    @property
    def netns(self) -> Path:
        """The engine's network namespace (``unshare`` execs dockerd: the same pid)."""
        return Path(f"/proc/{self._proc.pid}/ns/net")

    def start(self) -> None:
        for tool in ("dockerd", "unshare"):
            if shutil.which(tool) is None:
                raise ClusterUnavailable(f"{tool} is not installed")
        if os.geteuid() != 0:
            raise ClusterUnavailable("a private Docker engine needs root")
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "daemon.json").write_text("{}\n")  # never the machine's /etc/docker/daemon.json
        log = open(self.root / "dockerd.log", "wb")  # noqa: SIM115 (the engine's, closed by stop)
        argv = [
            "unshare", "--net", "dockerd",
            "--config-file", str(self.root / "daemon.json"),
            "--data-root", str(self.root / "data"),
            "--exec-root", str(self.root / "exec"),
            "--pidfile", str(self.root / "docker.pid"),
            "--host", self.docker_host,
            "--bridge", "none", "--iptables=false", "--ip6tables=false",
            "--ip-forward=false", "--ip-masq=false", "--userland-proxy=false",
        ]  # fmt: skip
        self._log = log
        self._proc = subprocess.Popen(
            argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
        )

    def wait(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        env = {**os.environ, "DOCKER_HOST": self.docker_host}
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise ClusterUnavailable(f"private dockerd exited: {self.log_tail()}")
            with contextlib.suppress(subprocess.TimeoutExpired):  # up but not answering yet
                info = subprocess.run(["docker", "info"], env=env, capture_output=True, timeout=15)
                if info.returncode == 0:
                    return
            time.sleep(0.3)
        raise ClusterUnavailable(f"private dockerd did not answer within {timeout:g} s: {self.log_tail()}")

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return (self.root / "dockerd.log").read_text(errors="replace")[-800:]
        return ""

    def docker(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DOCKER_HOST": self.docker_host}
        return subprocess.run(["docker", *args], env=env, capture_output=True, text=True, timeout=timeout)

    def stop(self) -> None:
        """Within about 90 s whatever the engine does: one that does not answer is killed."""
        proc = getattr(self, "_proc", None)
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):  # a stuck engine: killed below
                leftover = self.docker("ps", "-aq", timeout=20).stdout.split()
                if leftover:
                    self.docker("rm", "-f", *leftover, timeout=20)
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):  # stuck in the kernel: left
                    proc.wait(10)
        with contextlib.suppress(ProcessLookupError):  # its containerd, if it outlived it
            os.killpg(proc.pid, signal.SIGKILL)
        self._log.close()
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
        for mount in sorted((m for m in mounts if m.startswith(str(self.root))), reverse=True):
            with contextlib.suppress(subprocess.TimeoutExpired):
                subprocess.run(["umount", "-l", mount], capture_output=True, timeout=10)


@dataclass
class RayTestCluster:
    """Head + workers ``w2`` (2 GPUs) and ``w1`` (1 GPU), each on its own private engine."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="pd-ray-", dir="/tmp")))
    gpus: dict[str, int] = field(default_factory=lambda: {"w2": 2, "w1": 1})
    address: str = ""
    nodes: dict[str, str] = field(default_factory=dict)  # worker name -> Ray node id
    up_s: float = 0.0

    def __post_init__(self) -> None:
        self.engines = {name: PrivateEngine(self.root / name) for name in self.gpus}
        self._keeper: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 120) -> RayTestCluster:
        t0 = time.monotonic()
        try:
            for engine in self.engines.values():
                engine.start()
            for engine in self.engines.values():
                engine.wait()
            spec = {
                "workers": [
                    {"name": n, "gpus": g, "docker_host": self.engines[n].docker_host}
                    for n, g in self.gpus.items()
                ]
            }
            env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
            env["RAY_TMPDIR"] = str(self.root / "ray")  # sockets and logs of this cluster only
            env["RAY_USAGE_STATS_ENABLED"] = "0"
            self._keeper = subprocess.Popen(
                [sys.executable, "-m", "tests.support.ray_keeper", json.dumps(spec)],
                cwd=REPO,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=open(self.root / "keeper.log", "w"),  # noqa: SIM115 (lives as long as the keeper)
                text=True,
                start_new_session=True,
            )
            ready = self._answer(timeout)
        except BaseException:
            self.stop()
            raise
        self.address, self.nodes = ready["address"], ready["nodes"]
        self.up_s = time.monotonic() - t0
        return self

    def _answer(self, timeout: float) -> dict[str, object]:
        assert self._keeper is not None and self._keeper.stdout is not None
        import select

        ready, _, _ = select.select([self._keeper.stdout], [], [], timeout)
        line = self._keeper.stdout.readline() if ready else ""
        if not line:
            tail = (self.root / "keeper.log").read_text(errors="replace")[-1500:]
            raise ClusterUnavailable(f"the Ray test cluster did not start: {tail}")
        return dict(json.loads(line))

    def command(self, text: str, timeout: float = 60) -> dict[str, object]:
        assert self._keeper is not None and self._keeper.stdin is not None
        self._keeper.stdin.write(text + "\n")
        self._keeper.stdin.flush()
        return self._answer(timeout)

    def kill_worker(self, name: str) -> None:
        self.command(f"kill {name}")
        self.nodes.pop(name, None)

    def add_worker(self, name: str) -> None:
        self.nodes[name] = str(self.command(f"add {name}", timeout=120)["id"])

    def stop(self) -> None:
        if self.address:
            stop_drivers(self.address)
        keeper = self._keeper
        if keeper is not None and keeper.poll() is None:
            with contextlib.suppress(OSError):
                assert keeper.stdin is not None
                keeper.stdin.close()
            try:
                keeper.wait(60)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(keeper.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):  # stuck in the kernel: left
                    keeper.wait(10)
        # Each engine takes seconds to wind down: in parallel, and never waited on past its bound.
        stops = [threading.Thread(target=engine.stop, daemon=True) for engine in self.engines.values()]
        for stop in stops:
            stop.start()
        for stop in stops:
            stop.join(120)
        shutil.rmtree(self.root, ignore_errors=True)
