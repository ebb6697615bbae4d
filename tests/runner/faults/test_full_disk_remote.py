"""A full disk here while a node runs on a remote host (the test sshd on 127.0.0.1 in front of
the engine): the outputs fetched over SSH stop at the full disk, the node fails with the same
message as locally, nothing partial is kept, and no container is left on the host."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.runner.faults.test_full_disk import FILL, failed_for_lack_of_space
from tests.support.paths import REPO
from tests.support.remote import register_host
from tests.support.runner_process import RUN_LABEL, runner_env

pytestmark = [pytest.mark.sshd, pytest.mark.docker]


def _run(home: Path, yaml: Path, pipeline: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "designer.cli", "run", str(yaml), "--pipeline", pipeline]
    cmd += ["--host", "box", "--pull", "never"]
    return subprocess.run(cmd, cwd=REPO, env=runner_env(home), capture_output=True, text=True, timeout=300)


def test_a_full_disk_fails_a_remote_node_with_what_to_do_and_leaves_no_container(
    small_disk: Any, sshd: Any, config_dir: Path, ssh_home: Path, project: Any, docker_client: Any
) -> None:
    register_host(sshd, "box", passphrase=False)  # the child process has no keyring of ours
    home = small_disk(24) / "home"
    yaml = project(FILL)
    run_id = failed_for_lack_of_space(home, _run(home, yaml, "fill"))
    mine = {"label": f"{RUN_LABEL}={run_id}"}
    assert docker_client.containers.list(all=True, ignore_removed=True, filters=mine) == []
    again = _run(home, yaml, "small")  # the partial output took no room here: the next run works
    assert again.returncode == 0, again.stdout + again.stderr
