"""GPU leases on the host (lock files under its ~/.pipeline-designer/gpus), through the real sshd:
exclusive, all or nothing, released on exit, broken when the holder is gone, and two runs in two
processes serialised on one declared GPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runner.hosts import gpu_lease
from runner.hosts.connection import HostLink
from runner.hosts.paths import CONFIG_ENV
from runner.hosts.registry import HostRegistry
from runner.store.paths import HOME_ENV
from tests.sshd.sshd_server import ThrowawaySshd
from tests.support.cli import cli
from tests.support.remote import register_host

# The leases live in the test sshd user's home, one per machine: tests here and in test_gpus.py
# take turns (gpu_lease_lock), as two users of one GPU box would.
pytestmark = [pytest.mark.sshd, pytest.mark.usefixtures("gpu_lease_lock")]


def _until(check: Callable[[], bool], timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture
def link(sshd: ThrowawaySshd, config_dir: Path, memory_keyring: Any) -> Any:
    register_host(sshd, "box", passphrase=False, gpus=2)
    made = HostLink(HostRegistry().get("box"))
    yield made
    made.close()


def test_leases_are_exclusive_all_or_nothing_and_name_their_holders(link: Any, sshd: ThrowawaySshd) -> None:
    first = gpu_lease.take(link, ["0", "1"], 1, "run A node n1 by ana@ws1")
    second = gpu_lease.take(link, ["0", "1"], 1, "run B node n2 by bo@ws2")
    assert isinstance(first, gpu_lease.Lease) and isinstance(second, gpu_lease.Lease)
    assert (first.gpu_ids, second.gpu_ids) == (("0",), ("1",))
    busy = gpu_lease.take(link, ["0", "1"], 1, "run C")
    assert isinstance(busy, gpu_lease.Busy)
    assert busy.held == {"0": "run A node n1 by ana@ws1", "1": "run B node n2 by bo@ws2"}
    assert busy.describe("box", total=2, ours=0) == "waiting for a GPU on box: 2 of 2 in use by run A, run B"
    first.release()
    assert isinstance(gpu_lease.take(link, ["0", "1"], 2, "run C"), gpu_lease.Busy)  # wants both: none
    assert gpu_lease.show(link, ["0", "1"]) == {"0": "", "1": "run B node n2 by bo@ws2"}  # 0 not kept
    both_free = HostLink(link.host)  # another process, its own connection: the same locks
    try:
        second.release()
        again = gpu_lease.take(both_free, ["0", "1"], 2, "run D")
        assert isinstance(again, gpu_lease.Lease) and again.gpu_ids == ("0", "1")
        again.release()
    finally:
        both_free.close()


@pytest.mark.docker
def test_a_holder_that_is_gone_or_silent_lets_go_and_removes_the_container(
    link: Any, docker_client: Any, busybox_image: str, container_label: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    def container() -> str:
        name = f"pd-lease-{uuid.uuid4().hex[:8]}"
        docker_client.containers.run(busybox_image, ["sleep", "60"], name=name, labels=container_label,
                                     detach=True, network_mode="none")  # fmt: skip
        return name

    def exists(name: str) -> bool:
        found = docker_client.containers.list(all=True, ignore_removed=True, filters={"name": f"^{name}$"})
        return bool(found)  # (ignore_removed: the holder may remove it while it is being listed)

    # Our process gone (its SSH session ends): the lock goes with the holder, the container too.
    name = container()
    gone = HostLink(link.host)
    assert isinstance(gpu_lease.take(gone, ["0"], 1, "run X", name), gpu_lease.Lease)
    assert gpu_lease.show(link, ["0"])["0"] == "run X"
    gone.close()
    assert _until(lambda: gpu_lease.show(link, ["0"]) == {"0": ""})
    assert _until(lambda: not exists(name)), "the container of a vanished run keeps the GPU busy"

    # Silent (network gone, session still open): after TTL without a heartbeat, the same.
    monkeypatch.setattr(gpu_lease, "TTL", 2)
    monkeypatch.setattr(gpu_lease, "HEARTBEAT", 0.5)
    name = container()
    silent = gpu_lease.take(link, ["1"], 1, "run Y", name)
    assert isinstance(silent, gpu_lease.Lease)
    beating = gpu_lease.GpuLeases({"box": link}, {"box": ("0", "1")}, "run-z")
    try:
        assert beating.take("box", "train", ["0"], 1) == ("0",)
        assert _until(lambda: not exists(name)) and gpu_lease.show(link, ["1"]) == {"1": ""}
        time.sleep(3)  # past the TTL: the heartbeat keeps GPU 0 leased
        assert gpu_lease.show(link, ["0"])["0"].startswith("run run-z node train by ")
        beating.give_back("box", "train")
        assert gpu_lease.show(link, ["0"]) == {"0": ""}
    finally:
        beating.close()
        silent.release()


STEP = """
- step:
    name: train
    image: {image}
    resources: {{devices: {{nvidia.com/gpu: 1}}}}
    command:
      - cut -d' ' -f1 /proc/uptime > /valohai/outputs/span.txt
      - echo "gpus=$NVIDIA_VISIBLE_DEVICES" > /valohai/outputs/gpus.txt
      - sleep 2
      - cut -d' ' -f1 /proc/uptime >> /valohai/outputs/span.txt
"""


@pytest.mark.docker
def test_two_runs_in_two_processes_take_turns_on_one_gpu(
    sshd: ThrowawaySshd, config_dir: Path, home: Path, memory_keyring: Any, project: Any,
    busybox_image: str, ssh_home: Path,
) -> None:  # fmt: skip
    register_host(sshd, "box", passphrase=False, gpus=1, gpu_access="env")
    path = project(STEP.format(image=busybox_image))
    env = {**os.environ, CONFIG_ENV: str(config_dir), HOME_ENV: str(home), "HOME": str(ssh_home)}
    code = "import sys; from designer.cli import main; sys.exit(main(sys.argv[1:]))"
    argv = [sys.executable, "-c", code, "run", str(path), "--step", "train", "--host", "box",
            "--network", "none", "--pull", "never", "--no-reuse"]  # fmt: skip
    procs = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(2)]  # fmt: skip
    outputs = [p.communicate(timeout=180)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    runs = json.loads(cli("history", "--json")[1])["runs"]
    spans = []
    for run in runs[:2]:
        dest = home.parent / f"out-{run['id']}"
        assert cli("outputs", f"{run['id']}/train", "--to", str(dest))[0] == 0
        spans.append(tuple(float(x) for x in (dest / "span.txt").read_text().split()))
        assert (dest / "gpus.txt").read_text().strip() == "gpus=0"
    first, second = sorted(spans)
    assert first[1] <= second[0], f"both runs had GPU 0 at once: {spans}"
    waited = [o for o in outputs if "waiting for a GPU on box: 1 of 1 in use by run " in o]
    assert len(waited) == 1, outputs
