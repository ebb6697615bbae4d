"""A step killed with SIGKILL (what the OOM killer sends) says so, on a real container, a real
local process and a remote host; a folder input holding a symbolic-link loop fails its node with
a message naming the link, not an OSError traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runner.execution.exit_codes import describe_exit
from runner.store.db import RunStore
from tests.support.paths import REPO
from tests.support.runner_process import runner_env

STEPS = """\
- step: {name: die, image: busybox, command: "kill -9 $$"}
- step:
    name: use
    image: busybox
    command: ls -R /valohai/inputs/data
    inputs: [{name: data}]
"""


def _run(home: Path, *argv: str) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    cmd = [sys.executable, "-m", "designer.cli", "run", *argv, "--pull", "never", "--network", "none"]
    done = subprocess.run(cmd, cwd=REPO, env=runner_env(home), capture_output=True, text=True, timeout=120)
    store = RunStore(home / "runs.sqlite3")
    try:
        run = store.runs(1)[0]
        return done, store.executions(run["id"])[0]
    finally:
        store.close()


@pytest.mark.docker
def test_a_container_killed_with_sigkill_says_out_of_memory_or_a_signal(
    project, tmp_path: Path, docker_client, busybox_image
) -> None:
    done, row = _run(tmp_path / "home", str(project(STEPS)), "--step", "die")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert row["exit_code"] == 137 and row["message"] == "exit code 137: killed (out of memory, or a signal)"


def test_a_local_process_killed_with_sigkill_says_so_too(project, tmp_path: Path) -> None:
    done, row = _run(tmp_path / "home", str(project(STEPS)), "--step", "die", "--backend", "local")
    assert done.returncode == 1
    assert row["message"] == "exit code -9: killed (out of memory, or a signal)"


def test_other_signals_are_named() -> None:
    assert describe_exit(139) == "exit code 139 (128 + SIGSEGV: killed by a signal)"
    assert describe_exit(-15) == "exit code -15: killed by SIGTERM"
    assert describe_exit(3) == "exit code 3" and describe_exit(255) == "exit code 255"


@pytest.mark.parametrize("loop", ["self", "pair"])
def test_a_folder_input_with_a_symlink_loop_fails_the_node_with_a_message(
    project, tmp_path: Path, loop: str
) -> None:
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.txt").write_text("a\n")
    if loop == "self":
        os.symlink("loop", data / "sub" / "loop")
        culprit = data / "sub" / "loop"
    else:
        os.symlink("y", data / "x")
        os.symlink("x", data / "y")
        culprit = data / "x"
    done, row = _run(
        tmp_path / "home",
        str(project(STEPS)),
        "--step",
        "use",
        "--input",
        f"data={data}",
        "--backend",
        "local",
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr and "OSError" not in done.stderr
    assert row["status"] == "failed"
    assert row["message"] == f"input 'data': {culprit} cannot be read: it is a symbolic link loop"


@pytest.mark.sshd
@pytest.mark.docker
def test_on_a_remote_host_both_say_the_same(
    sshd, config_dir: Path, ssh_home: Path, project, tmp_path: Path, docker_client
) -> None:
    """Through the test sshd: the exit status comes back over SSH, the input is packed here."""
    from tests.support.remote import register_host

    register_host(sshd, "box", passphrase=False)  # the child process has no keyring of ours
    yaml = str(project(STEPS))
    done, row = _run(tmp_path / "home", yaml, "--step", "die", "--host", "box")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert row["exit_code"] == 137 and row["message"] == "exit code 137: killed (out of memory, or a signal)"
    data = tmp_path / "data"
    data.mkdir()
    os.symlink("loop", data / "loop")
    done, row = _run(tmp_path / "home", yaml, "--step", "use", "--input", f"data={data}", "--host", "box")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert row["message"] == f"input 'data': {data / 'loop'} cannot be read: it is a symbolic link loop"
    store = RunStore(tmp_path / "home" / "runs.sqlite3")
    run_ids = [r["id"] for r in store.runs(2)]
    store.close()
    for run_id in run_ids:  # none left on the host
        mine = {"label": f"pipeline-designer.run-id={run_id}"}
        assert docker_client.containers.list(all=True, filters=mine) == []
