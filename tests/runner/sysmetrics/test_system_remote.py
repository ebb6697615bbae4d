"""A 3-second step on a remote host (the test sshd in front of the local engine) is sampled
through the Docker API over SSH, with its GPU's figures from the host's nvidia-smi (a fake one
serving a capture: this machine has no GPU; the GPU reaches the container as
NVIDIA_VISIBLE_DEVICES, which this engine ignores)."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.events import GpuFigures
from runner.hosts.connection import connect
from runner.store.db import RunStore
from runner.sysmetrics.gpu_watch import GpuWatch
from tests.sshd.sshd_server import SshdUnavailable, ThrowawaySshd
from tests.support.cli import cli
from tests.support.nvidia_smi import fake_nvidia_smi, smi_gone, smi_processes
from tests.support.remote import in_ci, register_host

pytestmark = [pytest.mark.sshd, pytest.mark.docker]
MIB = 1 << 20
SMI = Path("bin", "nvidia-smi")  # the host's fake nvidia-smi, under the test's tmp_path


@pytest.fixture
def gpu_sshd(tmp_path: Path, ssh_home: Path) -> Iterator[ThrowawaySshd]:
    """The test sshd as a host whose PATH has nvidia-smi."""
    server = ThrowawaySshd(path_first=fake_nvidia_smi(tmp_path / "bin"))
    try:
        server.__enter__()
    except SshdUnavailable as exc:
        if in_ci():
            pytest.fail(f"{exc} (CI=true: sshd tests must not skip)", pytrace=False)
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        for pid in smi_processes(tmp_path / SMI):  # what a failing test left behind
            os.kill(pid, signal.SIGKILL)
        server.__exit__(None, None, None)


def test_a_remote_step_has_cpu_memory_and_its_gpus_figures(
    gpu_sshd: ThrowawaySshd, config_dir: Path, memory_keyring: object, home: Path, project,
    busybox_image: str, tmp_path: Path,
) -> None:  # fmt: skip
    register_host(gpu_sshd, "gpubox", passphrase=False, gpus=2, gpu_access="env")
    path = project(
        f"""
        - step:
            name: busy
            image: {busybox_image}
            command: end=$(( $(date +%s) + 3 )); while [ $(date +%s) -lt $end ]; do :; done
            resources: {{devices: {{nvidia.com/gpu: 1}}}}
        """
    )
    code, text = cli(
        "run", str(path), "--step", "busy", "--host", "gpubox", "--network", "none", "--pull", "never"
    )
    assert code == 0, text
    store = RunStore(home / "runs.sqlite3")
    try:
        row = store.execution(store.runs(limit=1)[0]["id"], "busy")
        samples = store.system_samples(row["id"])
        note = store.gpu_note(row["id"])
    finally:
        store.close()
    assert row["host"] == "gpubox" and len(row["gpu_ids"]) == 1
    assert len(samples) >= 2 and note == "", (samples, note)
    assert all(s.memory_bytes and s.memory_limit_bytes for s in samples)
    assert any(s.cpu_percent for s in samples)
    capture = {
        "0": GpuFigures("0", 87.0, 30567 * MIB, 81559 * MIB),
        "1": GpuFigures("1", 0.0, 4 * MIB, 81559 * MIB),
    }
    with_gpu = [s for s in samples if s.gpus]
    assert with_gpu and all(s.gpus == (capture[row["gpu_ids"][0]],) for s in with_gpu)  # its GPU only

    code, text = cli("metrics", f"{row['run_id']}/busy", "--system", "--json")
    exported = json.loads(text)
    assert code == 0 and exported["gpu_note"] == "" and len(exported["samples"]) == len(samples)
    gpu = exported["samples"][-1]["gpus"][0]
    assert gpu["index"] == row["gpu_ids"][0] and gpu["gpu_memory_total_bytes"] == 81559 * MIB

    # The host's nvidia-smi loop ended with the run: nothing of it is left on the host.
    assert smi_gone(tmp_path / SMI) == []


def test_the_hosts_nvidia_smi_stops_when_the_connection_drops(
    gpu_sshd: ThrowawaySshd, config_dir: Path, memory_keyring: object, tmp_path: Path
) -> None:
    """The runner gone without a word (killed, its network lost): the loop it started on the
    host stops by itself, not on the next reboot."""
    register_host(gpu_sshd, "gpubox", passphrase=False, gpus=2, gpu_access="env")
    conn = connect("gpubox")
    watch = GpuWatch(conn.start, "host 'gpubox'")
    watch.acquire()
    try:
        deadline = time.monotonic() + 30
        while not watch.figures(["0"])[0] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert watch.figures(["0"])[0], watch.figures(["0"])  # it runs and reports
        assert smi_processes(tmp_path / SMI)
        conn.close()  # the connection drops; the loop is never told to stop
        assert smi_gone(tmp_path / SMI) == []
    finally:
        watch.release()
        conn.close()
