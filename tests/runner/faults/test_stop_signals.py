"""SIGTERM and SIGHUP cancel a run exactly as Ctrl-C does: containers stopped within 5 s, the
run recorded ``cancelled``, a clear exit status and no traceback; a closed terminal too."""

from __future__ import annotations

import fcntl
import os
import signal
import termios
import time
from pathlib import Path
from typing import Any

import pytest

from runner.store.db import RunStore
from tests.support.images import BUSYBOX
from tests.support.runner_process import runner_process, running_containers

pytestmark = pytest.mark.docker

SLEEPY = f'- step: {{name: sleepy, image: {BUSYBOX}, command: "echo started; sleep 300"}}\n'


def _cancelled(home: Path, run_id: str, docker_client: Any) -> None:
    store = RunStore(home / "runs.sqlite3")
    try:
        assert store.run(run_id)["status"] == "cancelled"
        assert store.execution(run_id, "sleepy")["status"] == "cancelled"
    finally:
        store.close()
    left = docker_client.containers.list(all=True, filters={"label": f"pipeline-designer.run-id={run_id}"})
    assert left == []


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_stop_signal_cancels_the_run(
    sig: int, code: int, project: Any, home: Path, docker_client: Any
) -> None:
    with runner_process(home, str(project(SLEEPY)), "--step", "sleepy") as runner:
        run_id = runner.run_id()
        t0 = time.monotonic()
        runner.proc.send_signal(sig)
        out, err = runner.proc.communicate(timeout=20)
        assert time.monotonic() - t0 < 5 and runner.proc.returncode == code, err
    assert "cancelling (stopping running containers)" in err and "Traceback" not in err
    assert f"run {run_id}: cancelled" in out
    _cancelled(home, run_id, docker_client)


def test_closing_the_terminal_cancels_the_run(project: Any, home: Path, docker_client: Any) -> None:
    """The run's terminal goes away (its window closed): the kernel sends SIGHUP and writing to
    the terminal fails from then on; the cancel must not trip over that."""
    master, slave = os.openpty()

    def controlling_terminal() -> None:  # a session of its own, with the pty as its terminal
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    with runner_process(
        home,
        str(project(SLEEPY)),
        "--step",
        "sleepy",
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=controlling_terminal,
    ) as runner:
        os.close(slave)
        run_id = runner.run_id()
        assert running_containers(docker_client, run_id)
        os.read(master, 65536)  # what it drew so far
        t0 = time.monotonic()
        os.close(master)  # the terminal is gone: SIGHUP to the session
        assert runner.proc.wait(20) == 129
        assert time.monotonic() - t0 < 5
    _cancelled(home, run_id, docker_client)


def test_a_closed_output_pipe_cancels_the_run_quietly(project: Any, home: Path, docker_client: Any) -> None:
    """``pipeline-designer run ... | head -1``: the pipe closes, the run is cancelled (not left
    to its dead-man switch), and the exit status is a closed pipe's."""
    read, write = os.pipe()
    with runner_process(home, str(project(SLEEPY)), "--step", "sleepy", stdout=write) as runner:
        os.close(write)
        with os.fdopen(read) as pipe:
            first = pipe.readline()  # `head -1`, then the pipe closes
        assert first.startswith("run "), first
        run_id = first.split()[1].rstrip(":")  # "run ID: 1 node"; the cancel may come before its node runs
        _out, err = runner.proc.communicate(timeout=60)
        assert runner.proc.returncode == 141 and "Traceback" not in err and "BrokenPipe" not in err, err
    _cancelled(home, run_id, docker_client)
