"""Pause before this node: a run-time breakpoint holds the node before it starts, with its inputs
staged and recorded, so a shell opens on them; a parameter can be changed; continue runs it."""

from __future__ import annotations

import io
import json
import queue
from pathlib import Path
from typing import Any

import pytest

from runner.cli.main import build_parser
from runner.debug.shell import open_shell
from runner.events import ApprovalRequested, RunFinished

pytestmark = pytest.mark.docker

PIPELINE = r"""
- step:
    name: produce
    image: busybox
    command: echo rows > /valohai/outputs/table.csv
- step:
    name: consume
    image: busybox
    command:
      - cat /valohai/inputs/table/table.csv
      - echo mode={parameter-value:mode}
    parameters:
      - {name: mode, type: string, default: first}
    inputs:
      - {name: table}
- pipeline:
    name: p
    nodes:
      - {name: prep, step: produce, type: execution}
      - {name: use, step: consume, type: execution}
    edges:
      - [prep.output.table.csv, use.input.table]
"""


def test_paused_node_has_its_inputs_staged_takes_a_new_parameter_and_continues(
    project, home: Path, docker_client: Any, container_label: dict[str, str]
) -> None:
    from runner.api import RunOptions, plan_run, start_run

    path = project(PIPELINE)
    options = RunOptions(
        image_map={"busybox": "pipeline-designer-test/busybox:1"},
        labels=container_label,
        pause_before=("use",),
    )
    handle = start_run(
        plan_run(path, pipeline="p"), options, network="none", pull="never", client=docker_client
    )
    try:
        while True:
            event = handle.events.get(timeout=60)
            assert not isinstance(event, RunFinished), "the run ended without pausing"
            if isinstance(event, ApprovalRequested):
                break
        assert event.node == "use" and "breakpoint" in event.reason
        assert handle.awaiting_approval() == {"use": "node-starting"}
        # A shell on the staged world of the node that has not started.
        shell = open_shell(f"{handle.run_id}/use", network="none", labels=container_label)
        out: list[bytes] = []
        check = "ls /valohai/inputs/table; cat /valohai/config/parameters.json"
        assert shell.run(["sh", "-c", check], lambda _s, d: out.append(d)) == 0
        listing, _, params = b"".join(out).decode().partition("\n")
        assert listing == "table.csv" and json.loads(params) == {"mode": "first"}
        shell.close()
        handle.set_parameters("use", {"mode": "second"})
        handle.approve("use")
        assert handle.wait(60) == "succeeded"
    finally:
        handle.cancel()
        handle.wait(30)
    store_log = Path(home / "logs" / handle.run_id).glob("*use.log")
    text = next(store_log).read_text()
    assert "mode=second" in text and "rows" in text


def test_pause_before_on_the_command_line_asks_to_continue(
    project, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = project(PIPELINE)
    answers: queue.Queue[str] = queue.Queue()
    answers.put("y\n")

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

        def readline(self, *_: Any) -> str:
            return answers.get(timeout=60)

    argv = ["run", str(path), "--pipeline", "p", "--pause-before", "use", "--network", "none",
            "--pull", "never", "--image-map", "busybox=pipeline-designer-test/busybox:1"]  # fmt: skip
    args = build_parser().parse_args(argv)
    out = io.StringIO()
    assert args.func(args, out, Tty()) == 0, out.getvalue()
    args = build_parser().parse_args([*argv[:4], "--pause-before", "nope"])
    assert args.func(args, io.StringIO()) == 2
