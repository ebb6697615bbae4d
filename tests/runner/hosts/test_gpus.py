"""GPU discovery from the host's nvidia-smi, and the declared GPU set checked against it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.hosts import gpu_lease
from runner.hosts.channels import Completed
from runner.hosts.connection import HostLink
from runner.hosts.gpus import Gpu, check_declared, gpus_from, parse_smi
from runner.hosts.known_hosts import KnownHosts, fetch_host_key
from runner.hosts.registry import HostConfig, HostRegistry
from tests.sshd.sshd_server import ThrowawaySshd
from tests.support.cli import cli
from tests.support.nvidia_smi import SMI_APPS, SMI_GPUS, fake_nvidia_smi

# Leases live in the test sshd user's home: these and test_gpu_leases.py take turns.
pytestmark = pytest.mark.usefixtures("gpu_lease_lock")


def test_nvidia_smi_queries_become_gpus_with_memory_load_and_processes() -> None:
    text = SMI_GPUS + "2, GPU-x, Tesla T4, 15360, [N/A], [Not Supported]\n---\n" + SMI_APPS
    gpus = parse_smi(text)
    assert gpus is not None and [g.index for g in gpus] == ["0", "1", "2"]
    assert gpus[1] == Gpu("1", "NVIDIA H100 80GB HBM3", 81559, 40960, 97, 2, gpus[1].uuid)
    assert gpus[2].utilization is None and gpus[2].used_mib == 0
    assert (
        gpus[1].describe() == "1: NVIDIA H100 80GB HBM3, 81559 MiB (40960 MiB used, 97% busy, 2 process(es))"
    )
    assert parse_smi("NO-SMI\n") is None
    assert gpus_from(Completed("x", 0, b"NO-SMI\n", b"")) == ([], "nvidia-smi is not installed on the host")
    failed = Completed(
        "x", 9, b"", b"NVIDIA-SMI has failed because it couldn't communicate with the driver\n"
    )
    assert gpus_from(failed)[1].startswith("nvidia-smi failed: NVIDIA-SMI has failed")


def test_the_declared_set_is_checked_against_the_gpus_found() -> None:
    found = parse_smi(SMI_GPUS + "---\n") or []
    assert check_declared(("0", "1"), found) == ""
    message = check_declared(("0", "1", "2", "3"), found)
    assert message == "declared 4 GPU(s) but the host has 2 (0, 1): GPU 2, 3 does not exist"
    assert "2 GPU(s) found but none declared" in check_declared((), found)
    assert "the host has 0 (none)" in check_declared(("0",), [])


@pytest.mark.sshd
@pytest.mark.docker
def test_hosts_test_lists_the_hosts_gpus_their_leases_and_offers_them_as_the_set(
    config_dir: Path, memory_keyring: object, tmp_path: Path
) -> None:
    with ThrowawaySshd(path_first=fake_nvidia_smi(tmp_path / "bin")) as server:
        HostRegistry().add(HostConfig("gpubox", server.base_url, identity=str(server.key.path), gpus=4))
        KnownHosts().trust("127.0.0.1", server.port, fetch_host_key("127.0.0.1", server.port))
        link = HostLink(HostRegistry().get("gpubox"))
        held = gpu_lease.take(link, ["0"], 1, "run 20261203-other node train by ana@ws1 pid 7 since now")
        try:
            assert isinstance(held, gpu_lease.Lease) and held.gpu_ids == ("0",)
            code, text = cli("hosts", "test", "gpubox")
            assert code == 0, text
            assert "GPUs (2, nvidia-smi):" in text
            assert (
                "0: NVIDIA H100 80GB HBM3, 81559 MiB (1 MiB used, 0% busy); leased to run 20261203-other"
                in text
            )
            assert "1: NVIDIA H100 80GB HBM3, 81559 MiB (40960 MiB used, 97% busy, 2 process(es))" in text
            assert "warning: declared 4 GPU(s) but the host has 2" in text
            assert "`pipeline-designer hosts test gpubox --use-gpus` declares those found" in text
            assert "warning: the engine has no NVIDIA runtime" in text  # this engine has no GPU at all
        finally:
            held.release() if isinstance(held, gpu_lease.Lease) else None
            link.close()
        code, text = cli("hosts", "test", "gpubox", "--use-gpus", "--json")
        report = json.loads(text)
        assert code == 0 and report["declared_gpus"] == ["0", "1"] and report["gpu_check"] == ""
        assert [g["leased_by"] for g in report["gpus"]] == ["", ""]  # released: free again
        assert HostRegistry().get("gpubox").gpus == 2
