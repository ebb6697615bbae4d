"""``run --host box --step NAME --debug --debugger pycharm``: the node's pydevd-pycharm listens on
the host's loopback, the runner reaches it over the host's SSH connection and joins it to
"PyCharm" (a pydevd protocol server on this machine's 127.0.0.1), which stops the node at a
breakpoint, reads a local and resumes it; the node then succeeds with its outputs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from runner.store.db import RunStore
from tests.support.debug_cli import run_debug_cli
from tests.support.debug_project import LOOP_LINE, SCRIPT, STEP, TRAIN
from tests.support.pydevd_server import PydevdServer, debug_in_pycharm, free_port
from tests.support.remote import RemoteHost

pytestmark = [pytest.mark.sshd, pytest.mark.docker]

WAITING = re.compile(r"waiting for PyCharm's debug server on 127\.0\.0\.1:(\d+)")


def test_debug_a_remote_node_in_pycharm(
    remote_host: RemoteHost, home: Path, project: Any, python_image: str, pydevd_pycharm: str
) -> None:
    path = project(STEP.format(image=python_image), **{"train.py": TRAIN})
    port = free_port()
    with PydevdServer(port=port) as ide:  # already started in PyCharm this time
        out, thread, code = run_debug_cli(
            ["run", str(path), "--step", "train", "--debug", "--debugger", "pycharm", "--host", "box",
             "--debug-connect", f"127.0.0.1:{port}", "--pull", "never"]
        )  # fmt: skip
        assert int(out.wait_for(WAITING).group(1)) == port
        debug_in_pycharm(ide, pydevd_pycharm, SCRIPT, LOOP_LINE)
    thread.join(60)
    assert code == [0], "".join(out.lines)
    store = RunStore(home / "runs.sqlite3")
    (execution,) = store.executions(store.runs(1)[0]["id"])
    assert (execution["status"], execution["host"]) == ("succeeded", "box")
    assert [o["path"] for o in store.outputs(execution["id"])] == ["total.txt"]
    assert store.metadata(execution["id"])[0]["total"] == 30
    store.close()
    log = Path(execution["log_path"]).read_text()
    assert "PyCharm's debugger connected" in log and "Expected:" not in log
