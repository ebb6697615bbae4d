"""gc and the containers a killed runner left (stopped by their dead-man switch), on the local
engine and on a remote host through the test sshd: ``--dry-run`` counts them and removes
nothing, gc removes them with the run and says where."""

from __future__ import annotations

import contextlib
import io
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.support.images import BUSYBOX
from tests.support.remote import register_host
from tests.support.runner_process import RUN_LABEL, kill_runner, runner_process, seconds_stopped_after

pytestmark = pytest.mark.docker

SLEEPY = f'- step: {{name: sleepy, image: {BUSYBOX}, command: "echo started; sleep 300"}}\n'


def _gc(*args: str) -> str:
    """gc in this process (the ``home`` fixture's data folder)."""
    from designer.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(["gc", *args]) == 0, err.getvalue()
    return out.getvalue()


def _killed_run(home: Path, yaml: Path, docker_client: Any, *argv: str) -> tuple[str, list[Any]]:
    """A run whose runner was SIGKILLed; its containers, stopped by the dead-man switch."""
    with runner_process(home, str(yaml), "--step", "sleepy", *argv) as runner:
        run_id = runner.run_id(timeout=120)
        died = kill_runner(runner.proc, signal.SIGKILL)
        assert seconds_stopped_after(docker_client, run_id, died) < 10.0
    return run_id, _containers(docker_client, run_id)


def _containers(docker_client: Any, run_id: str) -> list[Any]:
    mine = {"label": f"{RUN_LABEL}={run_id}"}
    return docker_client.containers.list(all=True, ignore_removed=True, filters=mine)


def _dry_run_then_gc(run_id: str, where: str, docker_client: Any) -> None:
    said = _gc("--run", run_id, "--dry-run")
    assert f"would delete 1 run: {run_id}" in said
    assert f"would remove 1 container of deleted or killed runs (1 on {where})" in said, said
    assert len(_containers(docker_client, run_id)) == 1  # a dry run removes nothing
    said = _gc("--run", run_id)
    assert f"deleted 1 run: {run_id}" in said
    assert f"removed 1 container of deleted or killed runs (1 on {where})" in said, said
    assert _containers(docker_client, run_id) == []
    assert "container" not in _gc("--dry-run")  # nothing left to count


def test_gc_counts_then_removes_a_killed_runs_container_on_the_local_engine(
    project: Any, home: Path, docker_client: Any
) -> None:
    run_id, left = _killed_run(home, project(SLEEPY), docker_client)
    assert len(left) == 1 and left[0].status == "exited"
    _dry_run_then_gc(run_id, "the local engine", docker_client)


@pytest.mark.sshd
def test_gc_counts_then_removes_a_killed_runs_container_on_a_remote_host(
    sshd: Any, config_dir: Path, ssh_home: Path, home: Path, project: Any, docker_client: Any
) -> None:
    """The engine behind the test sshd is this machine's: the container is counted on the host
    it ran on (through SSH), not twice."""
    register_host(sshd, "box", passphrase=False)
    yaml = project('- step: {name: sleepy, image: busybox, command: "echo started; sleep 300"}\n')
    run_id, left = _killed_run(home, yaml, docker_client, "--host", "box")
    assert len(left) == 1 and left[0].status == "exited"
    _dry_run_then_gc(run_id, "box", docker_client)


def test_gc_names_a_host_it_cannot_reach_and_deletes_the_run_anyway(
    home: Path, config_dir: Path, ssh_home: Path
) -> None:
    """A run that was killed on a host that has gone away since: deleted here, the host named."""
    import socket

    from runner.hosts.registry import HostConfig, HostRegistry
    from runner.store.db import RunStore

    with socket.socket() as free:  # a port nothing listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    HostRegistry().add(HostConfig("gone", f"ssh://user@127.0.0.1:{port}"))
    store = RunStore(home / "runs.sqlite3")
    store.create_run("r-gone", pipeline="p", started=1.0, status="interrupted")
    store.upsert_execution("r-gone-a", run_id="r-gone", node="a", status="interrupted", host="gone")
    store.close()
    said = _gc("--run", "r-gone")
    assert "deleted 1 run: r-gone" in said
    assert "could not reach host gone (" in said and "its leftovers go when a run next connects" in said
