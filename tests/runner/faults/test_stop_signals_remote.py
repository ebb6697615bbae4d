"""SIGTERM and SIGHUP cancel a run on a remote host (the test sshd on 127.0.0.1 in front of the
engine) as Ctrl-C does: its container stopped and removed on the host within 5 s, the run
recorded ``cancelled``, the exit status of the signal, no traceback."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import pytest

from runner.store.db import RunStore
from tests.support.remote import register_host
from tests.support.runner_process import RUN_LABEL, runner_process, running_containers, seconds_to_die_event

pytestmark = [pytest.mark.sshd, pytest.mark.docker]

SLEEPY = '- step: {name: sleepy, image: busybox, command: "echo started; sleep 300"}\n'


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)], ids=["TERM", "HUP"])
def test_a_stop_signal_cancels_a_remote_run(
    sig: int,
    code: int,
    sshd: Any,
    config_dir: Path,
    ssh_home: Path,
    home: Path,
    project: Any,
    docker_client: Any,
) -> None:
    register_host(sshd, "box", passphrase=False)  # the child process has no keyring of ours
    with runner_process(home, str(project(SLEEPY)), "--step", "sleepy", "--host", "box") as runner:
        run_id = runner.run_id(timeout=120)
        assert len(running_containers(docker_client, run_id)) == 1
        sent = time.time()
        runner.proc.send_signal(sig)
        out, err = runner.proc.communicate(timeout=120)
    assert runner.proc.returncode == code, err
    took = seconds_to_die_event(docker_client, run_id, sent)  # the engine's record, not our polling
    assert took < 5, f"the remote step ran {took:.1f} s after the signal"
    assert "cancelling (stopping running containers)" in err and "Traceback" not in err
    assert f"run {run_id}: cancelled" in out
    store = RunStore(home / "runs.sqlite3")
    try:
        assert store.run(run_id)["status"] == "cancelled"
        assert store.execution(run_id, "sleepy")["status"] == "cancelled"
    finally:
        store.close()
    mine = {"label": f"{RUN_LABEL}={run_id}"}
    assert docker_client.containers.list(all=True, ignore_removed=True, filters=mine) == []
