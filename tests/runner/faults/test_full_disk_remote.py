"""A full disk here while a node runs on a remote host (the test sshd on 127.0.0.1 in front of
the engine): the outputs fetched over SSH stop at the full disk, the node fails with the same
message as locally, nothing partial is kept, and no container is left on the host."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runner.store.db import RunStore
from tests.runner.faults.test_full_disk import FILL
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
    done = _run(home, yaml, "fill")
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert "Traceback" not in said and "database or disk is full" not in said
    store = RunStore(home / "runs.sqlite3")
    try:
        run = store.runs(1)[0]
        nodes = {e["node"]: e for e in store.executions(run["id"])}
        assert run["status"] == "failed" and nodes["fill"]["status"] == "failed"
        message = nodes["fill"]["message"]
        assert message.startswith(f"no space left on {home.parent} (tmpfs): "), message
        assert message.endswith("MB free; free space with `pipeline-designer gc`")
        assert nodes["after"]["status"] in ("skipped", "cancelled")
        assert store.outputs(nodes["fill"]["id"]) == []
        assert store._query("PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    finally:
        store.close()
    blobs = [p for p in (home / "artifacts" / "sha256").rglob("*") if p.is_file()]
    assert all(p.stat().st_size < 1 << 20 for p in blobs)  # the YAML and code only
    assert list((home / "artifacts" / "tmp").iterdir()) == []
    mine = {"label": f"{RUN_LABEL}={run['id']}"}
    assert docker_client.containers.list(all=True, ignore_removed=True, filters=mine) == []
    again = _run(home, yaml, "small")  # the partial output took no room here: the next run works
    assert again.returncode == 0, again.stdout + again.stderr
