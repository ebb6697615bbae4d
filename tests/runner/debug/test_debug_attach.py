"""``run FILE --step NAME --debug``: a real DAP client attaches to the node's Python over TCP,
stops at a breakpoint in the step's script, reads a local, continues; the node then succeeds
with its outputs collected. The `python -c` before the script is not the one debugged."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from runner.cli.main import build_parser
from runner.store.db import RunStore
from tests.support.dap_client import DapClient, attach_and_break
from tests.support.debug_cli import LISTENING, run_debug_cli

pytestmark = pytest.mark.docker

STEP = """
- step:
    name: train
    image: python:3.12-slim
    command:
      - python3 -c "print('setting up')" && python3 train.py {parameters}
    parameters:
      - {name: rounds, type: integer, default: 3}
    time-limit: 2
"""
TRAIN = """\
import json, sys
total = 0
for i in range(int(sys.argv[1].split("=")[1])):
    total += i * 10
print(json.dumps({"total": total}))
open("/valohai/outputs/total.txt", "w").write(str(total))
"""


def test_debug_a_step_with_a_dap_client(project, home: Path, python_image: str, docker_client: Any) -> None:
    path = project(STEP, **{"train.py": TRAIN})
    root = str(path.parent)
    out, thread, code = run_debug_cli(
        ["run", str(path), "--step", "train", "--debug", "--pull", "never",
         "--image-map", f"python:3.12-slim={python_image}"]
    )  # fmt: skip
    port = int(out.wait_for(LISTENING).group(1))
    client = DapClient("127.0.0.1", port)
    try:
        thread_id, local_vars = attach_and_break(client, root, "train.py", 4)
        assert local_vars["i"] == "0" and local_vars["total"] == "0"
        # Paused far past the step's 2 s time limit: a node being debugged has none.
        assert not client.closed and thread.is_alive()
        threading.Event().wait(2.5)
        client.request("setBreakpoints", source={"path": f"{root}/train.py"}, breakpoints=[])
        client.request("continue", threadId=thread_id)
        client.event("terminated", timeout=60)
    finally:
        client.close()
    thread.join(60)
    assert code == [0], "".join(out.lines)
    text = "".join(out.lines)
    assert len(LISTENING.findall(text)) == 1  # the `python -c` before it did not wait
    store = RunStore(home / "runs.sqlite3")
    run = store.runs(1)[0]
    (execution,) = store.executions(run["id"])
    assert execution["status"] == "succeeded"
    assert [o["path"] for o in store.outputs(execution["id"])] == ["total.txt"]
    assert store.metadata(execution["id"])[0]["total"] == 30
    log = Path(execution["log_path"]).read_text()
    assert "setting up" in log and "pipeline-designer: debugger listening on port" in log
    store.close()


def test_debug_option_is_checked(project, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pipeline = "\n- pipeline:\n    name: p\n    nodes:\n      - {name: t, step: train, type: execution}\n"
    path = project(STEP + pipeline + "    edges: []\n", **{"train.py": TRAIN})
    for extra, message in (
        (["--pipeline", "p", "--debug"], "--debug needs a NODE with --pipeline (nodes: t)"),
        (["--pipeline", "p", "--debug", "nope"], "--debug: no node nope (nodes: t)"),
        (["--step", "train", "--debug", "t"], "--debug takes no NODE with --step"),
    ):
        args = build_parser().parse_args(["run", str(path), *extra])
        assert args.func(args, io.StringIO()) == 2
        assert message in capsys.readouterr().err


def test_cancelling_a_node_paused_in_the_debugger_ends_the_session(
    project, home: Path, python_image: str, docker_client: Any, container_label: dict[str, str]
) -> None:
    from runner.api import RunOptions, plan_run, start_run
    from runner.events import DebuggerListening

    path = project(STEP, **{"train.py": TRAIN})
    options = RunOptions(
        image_map={"python:3.12-slim": python_image}, labels=container_label, debug_nodes=("train",)
    )
    handle = start_run(plan_run(path, step="train"), options, pull="never", client=docker_client)
    try:
        event = handle.events.get(timeout=60)
        while not isinstance(event, DebuggerListening):
            event = handle.events.get(timeout=60)
        client = DapClient("127.0.0.1", event.port)
        attach_and_break(client, str(path.parent), "train.py", 4)
        handle.cancel()
        assert handle.wait(60) == "cancelled"
        deadline = time.monotonic() + 10
        while not client.closed and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.closed  # the debugger's connection ends with the node
        client.close()
    finally:
        handle.cancel()
        handle.wait(30)
    left = docker_client.containers.list(
        all=True, filters={"label": f"pipeline-designer.run-id={handle.run_id}"}
    )
    assert left == []


def test_a_debug_node_that_never_runs_our_script_says_so(
    project, home: Path, python_image: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project(
        """
        - step:
            name: shell-only
            image: python:3.12-slim
            command: python3 -c "print('no script of ours')"
        """
    )
    argv = ["run", str(path), "--step", "shell-only", "--debug", "--pull", "never", "--logs",
            "--image-map", f"python:3.12-slim={python_image}"]  # fmt: skip
    out = io.StringIO()
    args = build_parser().parse_args(argv)
    assert args.func(args, out) == 0  # it ran to its end instead of waiting forever
    assert "nothing waited for the debugger" in out.getvalue()
    args = build_parser().parse_args([*argv, "--network", "none"])
    assert args.func(args, io.StringIO()) == 2
    assert "--debug needs a network" in capsys.readouterr().err


SWEEP = """
- step:
    name: fit
    image: python:3.12-slim
    command: python3 fit.py {parameters}
    parameters:
      - {name: lr, type: float, default: 0.1}
- pipeline:
    name: sweep
    nodes:
      - {name: train, type: task, step: fit}
    edges: []
"""
FIT = """\
import json, sys
lr = float(sys.argv[1].split("=")[1])
print(json.dumps({"lr": lr}))
"""


def test_debugging_a_task_node_debugs_its_first_execution(project, home: Path, python_image: str) -> None:
    path = project(SWEEP, **{"fit.py": FIT})
    out, thread, code = run_debug_cli(
        ["run", str(path), "--pipeline", "sweep", "--debug", "train", "--pull", "never",
         "--param", "train.lr=[0.1, 0.2]", "--image-map", f"python:3.12-slim={python_image}"]
    )  # fmt: skip
    match = out.wait_for(LISTENING)
    assert "(train#1: fit.py)" in "".join(out.lines)
    client = DapClient("127.0.0.1", int(match.group(1)))
    try:
        thread_id, local_vars = attach_and_break(client, str(path.parent), "fit.py", 3)
        assert local_vars["lr"] == "0.1"
        client.request("continue", threadId=thread_id)
        client.event("terminated", timeout=60)
    finally:
        client.close()
    thread.join(60)
    assert code == [0], "".join(out.lines)
    assert len(LISTENING.findall("".join(out.lines))) == 1  # the sweep's second execution just ran
