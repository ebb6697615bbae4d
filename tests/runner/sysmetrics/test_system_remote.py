"""A 3-second step on a remote host (the test sshd in front of the local engine) is sampled
through the Docker API over SSH, with its GPU's figures from the host's nvidia-smi (a fake one
serving a capture: this machine has no GPU; the GPU reaches the container as
NVIDIA_VISIBLE_DEVICES, which this engine ignores)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.events import GpuFigures
from runner.store.db import RunStore
from tests.sshd.sshd_server import SshdUnavailable, ThrowawaySshd
from tests.support.cli import cli
from tests.support.nvidia_smi import fake_nvidia_smi
from tests.support.remote import in_ci, register_host

pytestmark = [pytest.mark.sshd, pytest.mark.docker]
MIB = 1 << 20


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
        server.__exit__(None, None, None)


def test_a_remote_step_has_cpu_memory_and_its_gpus_figures(
    gpu_sshd: ThrowawaySshd, config_dir: Path, memory_keyring: object, home: Path, project, busybox_image: str
) -> None:
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
