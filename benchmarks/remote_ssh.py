"""Remote hosts over SSH (the throwaway sshd of tests/sshd in front of the local engine).

1. Per-node overhead: one no-op node through the runner on the local engine vs on the "remote"
   host (connect, archive transfer, attach over SSH), median of 5 each.
2. Transfer: a 200 MB file into a container through the archive API over SSH (put_archive,
   tar prepared beforehand) vs ``scp`` of the same file over the same sshd. Target >= 0.5 of scp.
   Outputs the other way (get_archive vs scp from the host) are printed too.
3. ProxyJump: the same no-op node (and chain) on the host reached through a second sshd as the
   bastion (an ~/.ssh/config alias with ProxyJump) vs directly, alternating, same run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import docker
from runner_common import BUSYBOX, cleanup, median, verdict, workspace, write_yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from sshd.sshd_server import ThrowawaySshd

from runner.api import RunOptions, plan_run, start_run
from runner.hosts.known_hosts import KnownHosts, fetch_host_key
from runner.hosts.registry import HostConfig, HostRegistry
from runner.hosts.ssh import docker_client

SIZE_MB = 200
ROUNDS = 5


NODES = 5
CHAIN = (
    "- step: {name: noop, image: busybox, command: 'true', "
    "parameters: [{name: x, type: integer, default: 1}]}\n"
    "- pipeline:\n    name: chain\n    nodes:\n"
    + "".join(f"      - {{name: n{i}, step: noop, type: execution}}\n" for i in range(NODES))
    + "    edges:\n"
    + "".join(f"      - [n{i}.parameter.x, n{i + 1}.parameter.x]\n" for i in range(NODES - 1))
)


def _node_seconds(path: Path, hosts: list[str] | None, client: object, pipeline: str | None = None) -> float:
    plan = plan_run(path, step=None if pipeline else "noop", pipeline=pipeline)
    options = RunOptions(image_map={"busybox": BUSYBOX}, reuse=False)
    t0 = time.perf_counter()
    handle = start_run(plan, options, network="none", pull="never", client=client, hosts=hosts)
    assert handle.wait() == "succeeded"
    return time.perf_counter() - t0


def _transfer(server: ThrowawaySshd, host: HostConfig, root: Path) -> tuple[float, float, float, float]:
    data = root / "big.bin"
    with data.open("wb") as fh:
        for _ in range(SIZE_MB):
            fh.write(os.urandom(1 << 20))
    tar_path = root / "big.tar"
    with tarfile.open(tar_path, "w") as tar:
        tar.add(data, arcname="big.bin")
    ssh_config = server.client_home(root / "scphome") / ".ssh" / "config"
    remote_dir = root / "remote"
    remote_dir.mkdir()
    scp = ["scp", "-q", "-F", str(ssh_config)]
    t0 = time.perf_counter()
    subprocess.run([*scp, str(data), f"127.0.0.1:{remote_dir}/big.bin"], check=True)
    scp_up = SIZE_MB / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    subprocess.run([*scp, f"127.0.0.1:{remote_dir}/big.bin", str(root / "back.bin")], check=True)
    scp_down = SIZE_MB / (time.perf_counter() - t0)
    client = docker_client(host)
    container = client.containers.create(BUSYBOX, ["true"], network_mode="none")
    try:
        with tar_path.open("rb") as fh:
            t0 = time.perf_counter()
            container.put_archive("/tmp", fh)
            api_up = SIZE_MB / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        chunks, _stat = container.get_archive("/tmp/big.bin", chunk_size=1 << 20)
        got = sum(len(c) for c in chunks)
        api_down = got / (1 << 20) / (time.perf_counter() - t0)
    finally:
        container.remove(force=True)
        client.close()
    return api_up, scp_up, api_down, scp_down


def _jump_host(root: Path, server: ThrowawaySshd, bastion: ThrowawaySshd) -> None:
    """``bench-jump``: the same host as an ssh config alias behind ``bastion``."""
    ssh_dir = root / "sshhome" / ".ssh"
    ssh_dir.mkdir(parents=True)
    (ssh_dir / "config").write_text(
        f"Host bench-jump\n  HostName 127.0.0.1\n  Port {server.port}\n  IdentityFile {server.key.path}\n"
        f"  ProxyJump 127.0.0.1:{bastion.port}\nHost 127.0.0.1\n  IdentityFile {bastion.key.path}\n"
    )
    HostRegistry().add(HostConfig("bench-jump", "ssh://bench-jump"))
    KnownHosts().trust("127.0.0.1", bastion.port, fetch_host_key("127.0.0.1", bastion.port))


def _jump_rounds(path: Path, chain: Path, local: object) -> None:
    direct, jumped = [], []
    _node_seconds(path, ["bench-jump"], local)  # warm-up
    for _ in range(ROUNDS):
        direct.append(_node_seconds(path, ["bench"], local))
        jumped.append(_node_seconds(path, ["bench-jump"], local))
    chains: dict[str, list[float]] = {"bench": [], "bench-jump": []}
    for _ in range(3):  # alternating, so a busy moment of the machine hits both alike
        for name, times in chains.items():
            times.append(_node_seconds(chain, [name], local, "chain"))
    chain_direct, chain_jump = median(chains["bench"]), median(chains["bench-jump"])
    d, j = median(direct), median(jumped)
    print(
        f"remote_ssh: no-op node direct median {d:.3f} s, through a ProxyJump bastion {j:.3f} s "
        f"(ratio {j / d:.2f}, +{j - d:.3f} s per run: one more SSH handshake and login)"
    )
    print(
        f"remote_ssh: chain of {NODES} no-op nodes direct {chain_direct:.3f} s, through the bastion "
        f"{chain_jump:.3f} s (ratio {chain_jump / chain_direct:.2f}, "
        f"+{(chain_jump - chain_direct) / NODES:.3f} s per node)"
    )


def main() -> int:
    root = workspace("remote")
    os.environ["PIPELINE_DESIGNER_CONFIG"] = str(root / "config")
    os.environ["HOME"] = str(root / "sshhome")  # our own ~/.ssh/config, not the user's
    os.environ.pop("SSH_AUTH_SOCK", None)
    local = docker.from_env()
    path = write_yaml(root, "- step: {name: noop, image: busybox, command: 'true'}\n")
    with ThrowawaySshd() as server, ThrowawaySshd() as bastion:
        host = HostConfig("bench", server.base_url, identity=str(server.key.path))
        HostRegistry().add(host)
        KnownHosts().trust("127.0.0.1", server.port, fetch_host_key("127.0.0.1", server.port))
        _jump_host(root, server, bastion)
        _node_seconds(path, None, local)
        _node_seconds(path, ["bench"], local)  # warm-up both
        ours_local, ours_ssh = [], []
        for _ in range(ROUNDS):
            ours_local.append(_node_seconds(path, None, local))
            ours_ssh.append(_node_seconds(path, ["bench"], local))
        chain = root / "chain" / "valohai.yaml"
        chain.parent.mkdir()
        chain.write_text(CHAIN)
        chain_local = median([_node_seconds(chain, None, local, "chain") for _ in range(3)])
        chain_ssh = median([_node_seconds(chain, ["bench"], local, "chain") for _ in range(3)])
        _jump_rounds(path, chain, local)
        api_up, scp_up, api_down, scp_down = _transfer(server, host, root)
    overhead = median(ours_ssh) - median(ours_local)
    print(
        f"remote_ssh: no-op node local median {median(ours_local):.3f} s, over SSH {median(ours_ssh):.3f} s "
        f"(+{overhead:.3f} s per run, connecting included)"
    )
    per_node = (chain_ssh - chain_local) / NODES
    print(
        f"remote_ssh: chain of {NODES} no-op nodes: local median {chain_local:.3f} s, over SSH "
        f"{chain_ssh:.3f} s (+{per_node:.3f} s per node, connect spread over the chain)"
    )
    ratio = api_up / scp_up
    print(
        f"remote_ssh: {SIZE_MB} MB in: archive API {api_up:.1f} MB/s vs scp {scp_up:.1f} MB/s, "
        f"ratio {ratio:.2f} (target >= 0.5) {verdict(ratio >= 0.5)}"
    )
    print(
        f"remote_ssh: {SIZE_MB} MB out: archive API {api_down:.1f} MB/s vs scp {scp_down:.1f} MB/s, "
        f"ratio {api_down / scp_down:.2f} (no target)"
    )
    local.close()
    cleanup()
    return 0 if ratio >= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
