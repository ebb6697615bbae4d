"""The dead-man switch on a remote host: the test sshd on 127.0.0.1 in front of the engine."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from runner.execution import deadman
from tests.support.remote import register_host
from tests.support.runner_process import (
    kill_runner,
    runner_env,
    runner_process,
    running_containers,
    seconds_stopped_after,
)

pytestmark = [pytest.mark.sshd, pytest.mark.docker]


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGSTOP], ids=["killed", "frozen"])
def test_a_dead_runner_leaves_no_step_running_on_a_remote_host(
    how: int, sshd: Any, config_dir: Path, ssh_home: Path, home: Path, project: Any, docker_client: Any
) -> None:
    """Killed: its SSH connection closes, the engine closes the step's stdin. Frozen: the
    connection stays, the heartbeats stop. The step stops within 10 s either way."""
    register_host(sshd, "box", passphrase=False)  # the child process has no keyring of ours
    path = project('- step: {name: sleepy, image: busybox, command: "echo started; sleep 300"}\n')
    with runner_process(home, str(path), "--step", "sleepy", "--host", "box") as runner:
        run_id = runner.run_id(timeout=120)
        assert len(running_containers(docker_client, run_id)) == 1
        died = kill_runner(runner.proc, how)
        took = seconds_stopped_after(docker_client, run_id, died)  # when the engine saw it end
        assert took < 10.0, f"the remote step ran {took:.1f} s after its runner died"
        if how == signal.SIGSTOP:
            kill_runner(runner.proc, signal.SIGKILL)
    for container in docker_client.containers.list(
        all=True, filters={"label": f"pipeline-designer.run-id={run_id}"}
    ):
        container.remove(force=True)  # the host's leftovers go at the next connect (runner.hosts)


def test_a_remote_step_outlasting_the_timeout_runs_to_its_end(
    sshd: Any, config_dir: Path, ssh_home: Path, home: Path, project: Any, docker_client: Any
) -> None:
    """The heartbeat crosses the SSH connection: a live runner's step is never cut short."""
    register_host(sshd, "box", passphrase=False)
    path = project('- step: {name: long, image: busybox, command: "sleep 7; echo done"}\n')
    env = runner_env(home, **{deadman.TIMEOUT_ENV: "3"})  # more than a loaded beat's delay
    with runner_process(home, str(path), "--step", "long", "--host", "box", env=env) as runner:
        out, err = runner.proc.communicate(timeout=120)
        assert runner.proc.returncode == 0, out + err
