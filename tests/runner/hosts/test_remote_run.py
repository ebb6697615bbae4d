"""Pipelines on a "remote" host: the throwaway sshd on 127.0.0.1 in front of the local engine.

The key has a passphrase that only the (in-memory) keyring holds; after the run every file
the app wrote is searched for it.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from runner.hosts.health import CLIENT_LABEL
from tests.support.cli import cli
from tests.support.paths import EXAMPLES
from tests.support.remote import RemoteHost, register_host, start_sshd

pytestmark = [pytest.mark.sshd, pytest.mark.docker]
EXAMPLE_YAML = EXAMPLES / "valohai.yaml"


def _run_examples(python_image: str, host: str, *extra: str) -> tuple[int, str]:
    return cli(
        "run", str(EXAMPLE_YAML), "--pipeline", "training-pipeline", "--host", host, "--network", "none",
        "--pull", "never", "--image-map", f"python:3.12-slim={python_image}",
        "--param", "train.epoch_delay=0", *extra,
    )  # fmt: skip


def test_examples_pipeline_runs_on_the_remote_host_without_leaking_the_passphrase(
    remote_host: RemoteHost, home: Path, config_dir: Path, python_image: str, docker_client: Any
) -> None:
    code, text = _run_examples(python_image, "box")
    assert code == 0, text
    code, shown_text = cli("show", "latest", "--json")
    shown = json.loads(shown_text)
    by_node = {e["node"]: e for e in shown["executions"]}
    assert {n: (e["status"], e["host"]) for n, e in by_node.items()} == {
        n: ("succeeded", "box") for n in ("preprocess", "train", "evaluate")
    }
    assert {o["path"] for o in by_node["preprocess"]["outputs"]} >= {"train.csv", "test.csv"}
    assert (
        by_node["evaluate"]["parameters"]["train_accuracy"] == by_node["train"]["last_metadata"]["accuracy"]
    )
    assert "Accepted publickey" in remote_host.server.log_text()
    run_id = shown["run"]["id"]
    assert (
        docker_client.containers.list(all=True, filters={"label": f"pipeline-designer.run-id={run_id}"}) == []
    )
    # Unchanged re-run on the same host: everything reused.
    code, text = _run_examples(python_image, "box")
    assert code == 0 and text.count("reused") >= 3, text

    secret = remote_host.server.key_with_passphrase.passphrase
    assert secret
    written = [p for root in (home, config_dir, EXAMPLE_YAML.parent) for p in root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" for p in written) and any(p.name == "hosts.json" for p in written)
    leaks = [p for p in written if secret.encode() in p.read_bytes()]
    assert leaks == [], f"the passphrase was written to {leaks}"
    assert secret not in text + shown_text


def test_transfer_progress_and_outputs_over_the_archive_api(
    remote_host: RemoteHost, home: Path, project: Any, busybox_image: str
) -> None:
    big = "x" * (12 << 20)
    path = project(
        f"""
        - step:
            name: copy
            image: {busybox_image}
            command: cp /valohai/inputs/data/big.txt /valohai/outputs/copy.txt
            inputs: [{{name: data, default: big.txt}}]
        """,
        **{"big.txt": big},
    )
    code, text = cli("run", str(path), "--step", "copy", "--host", "box", "--network", "none",
                     "--pull", "never", "--logs")  # fmt: skip
    assert code == 0, text
    assert "sending to box:" in text and "MB" in text, text
    assert "fetching outputs from box:" in text, text
    code, shown = cli("show", "latest", "--json")
    (execution,) = json.loads(shown)["executions"]
    assert [(o["path"], o["size"]) for o in execution["outputs"]] == [("copy.txt", len(big))]


def test_unreachable_host_is_reported_within_10_s(config_dir: Path, memory_keyring: Any, home: Path) -> None:
    from runner.api import plan_run, start_run
    from runner.hosts.registry import HostConfig, HostRegistry
    from runner.hosts.ssh import HostUnreachableError
    from tests.sshd.sshd_server import free_port

    port = free_port()  # nothing listens there
    HostRegistry().add(HostConfig("gone", f"ssh://nobody@127.0.0.1:{port}"))
    plan = plan_run(EXAMPLE_YAML, pipeline="training-pipeline")
    t0 = time.monotonic()
    with pytest.raises(HostUnreachableError, match=rf"host 'gone' \(127.0.0.1:{port}\) is unreachable"):
        start_run(plan, hosts=["gone"])
    assert time.monotonic() - t0 < 10
    t0 = time.monotonic()
    code, _text = cli("hosts", "test", "gone")
    assert code == 1 and time.monotonic() - t0 < 10


def test_leftover_containers_are_removed_on_the_next_connect(
    remote_host: RemoteHost,
    home: Path,
    busybox_image: str,
    docker_client: Any,
    container_label: dict[str, str],
) -> None:
    from runner.hosts.paths import client_id

    (label, value), = container_label.items()  # fmt: skip
    leftover = docker_client.containers.run(
        busybox_image, ["sleep", "300"], detach=True, network_mode="none",
        labels={label: value, CLIENT_LABEL: client_id(), "pipeline-designer.run-id": "dead-run"},
    )  # fmt: skip
    foreign = docker_client.containers.run(
        busybox_image, ["sleep", "300"], detach=True, network_mode="none",
        labels={label: value, CLIENT_LABEL: "someone-else", "pipeline-designer.run-id": "dead-run"},
    )  # fmt: skip
    code, text = cli("hosts", "test", "box")
    assert code == 0, text
    assert "removed 1 leftover container(s)" in text and "engine " in text and "GPUs: none" in text
    remaining = {c.id for c in docker_client.containers.list(all=True, filters={"label": f"{label}={value}"})}
    assert remaining == {foreign.id}, "ours removed, another client's kept"
    assert leftover.id not in remaining


def test_two_hosts_share_a_pipeline(
    sshd: Any, config_dir: Path, memory_keyring: Any, home: Path, python_image: str
) -> None:
    second = start_sshd()
    try:
        register_host(sshd, "a", max_parallel=1)
        register_host(second, "b", passphrase=False, max_parallel=1)
        code, text = _run_examples(python_image, "a,b")
        assert code == 0, text
        code, shown = cli("show", "latest", "--json")
        hosts = {e["host"] for e in json.loads(shown)["executions"]}
        assert hosts <= {"a", "b"} and hosts
        # The local engine can be part of a pool too.
        code, text = _run_examples(python_image, "local,b", "--no-reuse")
        assert code == 0, text
        code, shown = cli("show", "latest", "--json")
        hosts = {e["host"] for e in json.loads(shown)["executions"]}
        assert hosts <= {socket.gethostname(), "b"} and hosts
    finally:
        second.__exit__(None, None, None)
