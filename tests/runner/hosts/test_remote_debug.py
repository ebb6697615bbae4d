"""``run --host box --step NAME --debug``: the debugger port is published on the host's loopback
and forwarded here over the host's SSH connection; a real DAP client stops, reads, continues."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runner.debug.shell import open_shell
from runner.store.db import RunStore
from tests.support.dap_client import DapClient, attach_and_break
from tests.support.debug_cli import LISTENING, run_debug_cli
from tests.support.debug_containers import run_containers, store_run_ids
from tests.support.debug_project import LOOP_LINE, STEP, TRAIN
from tests.support.remote import RemoteHost

pytestmark = [pytest.mark.sshd, pytest.mark.docker]


def test_debug_a_remote_node_through_the_ssh_forward(
    remote_host: RemoteHost, home: Path, project: Any, python_image: str, docker_client: Any
) -> None:
    path = project(STEP.format(image=python_image), **{"train.py": TRAIN})
    out, thread, code = run_debug_cli(
        ["run", str(path), "--step", "train", "--debug", "--host", "box", "--pull", "never"]
    )
    port = int(out.wait_for(LISTENING).group(1))
    container = run_containers(docker_client, store_run_ids(home)[0], node="train")
    published = {
        int(b["HostPort"])
        for c in container
        for bindings in (c.attrs["NetworkSettings"]["Ports"] or {}).values()
        for b in bindings or []
    }
    assert published and port not in published  # we reach it through the SSH forward, not directly
    # A shell in the paused node's own container, while the debugger waits.
    shell = open_shell("latest/train")
    chunks: list[bytes] = []
    assert shell.live is not None and shell.run(["cat", "train.py"], lambda _s, d: chunks.append(d)) == 0
    assert b"total += i * 10" in b"".join(chunks)
    shell.close()
    client = DapClient("127.0.0.1", port)
    try:
        thread_id, local_vars = attach_and_break(client, str(path.parent), "train.py", LOOP_LINE)
        assert local_vars["i"] == "0"
        client.request("setBreakpoints", source={"path": f"{path.parent}/train.py"}, breakpoints=[])
        client.request("continue", threadId=thread_id)
        client.event("terminated", timeout=60)
    finally:
        client.close()
    thread.join(60)
    assert code == [0], "".join(out.lines)
    store = RunStore(home / "runs.sqlite3")
    (execution,) = store.executions(store.runs(1)[0]["id"])
    assert (execution["status"], execution["host"]) == ("succeeded", "box")
    assert [o["path"] for o in store.outputs(execution["id"])] == ["total.txt"]
    store.close()
