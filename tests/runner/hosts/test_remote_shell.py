"""``shell RUN/NODE`` of nodes that ran on a remote host: the debug container is made on that host,
through its SSH connection to the engine (the throwaway sshd in front of the local engine)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from runner.cli.main import build_parser
from runner.debug.shell import open_shell
from tests.support.cli import cli
from tests.support.debug_containers import debug_containers, store_run_ids
from tests.support.remote import RemoteHost

pytestmark = [pytest.mark.sshd, pytest.mark.docker]

PIPELINE = """
- step:
    name: produce
    image: {image}
    command: echo rows > /valohai/outputs/table.csv
- step:
    name: consume
    image: {image}
    command:
      - cat /valohai/inputs/table/table.csv
      - test {{parameter-value:mode}} = ok
    parameters:
      - {{name: mode, type: string, default: ok}}
    inputs:
      - {{name: table}}
- pipeline:
    name: p
    nodes:
      - {{name: prep, step: produce, type: execution}}
      - {{name: good, step: consume, type: execution}}
      - {{name: bad, step: consume, type: execution, on-error: continue,
          override: {{parameters: [{{name: mode, default: broken}}]}}}}
    edges:
      - [prep.output.table.csv, good.input.table]
      - [prep.output.table.csv, bad.input.table]
"""
CHECK = "ls /valohai/inputs/table; cat /valohai/config/parameters.json"


def test_remote_nodes_shell_rebuilds_their_world_on_the_host(
    remote_host: RemoteHost, home: Path, project: Any, busybox_image: str, docker_client: Any,
    capfd: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    path = project(PIPELINE.format(image=busybox_image))
    run = ("run", str(path), "--pipeline", "p", "--host", "box", "--network", "none", "--pull", "never")
    code, text = cli(*run)
    assert code == 1 and "bad" in text, text  # bad failed, good succeeded
    code, text = cli(*run)  # prep and good reused, bad fails again
    for node, mode in (("good", "ok"), ("bad", "broken"), ("prep", None)):
        capfd.readouterr()
        args = build_parser().parse_args(
            ["shell", "--network", "none", f"latest/{node}", "--", "sh", "-c", CHECK]
        )
        status = args.func(args)
        out = capfd.readouterr().out
        if mode is None:  # prep has no inputs: ls fails, cat still shows its (empty) parameters
            assert status == 0 and out.strip().endswith("{}"), out
            continue
        assert status == 0, out
        listing, _, params = out.partition("\n")
        assert listing == "table.csv" and json.loads(params) == {"mode": mode}

    shell = open_shell("latest/bad", network="none")
    assert shell.world.host == "box" and "on host box" in shell.banner
    term = shell.terminal()
    seen = bytearray()
    reader = threading.Thread(target=lambda: [seen.extend(d) for d in iter(term.read, b"")], daemon=True)
    reader.start()
    term.resize(24, 90)
    term.write(b"stty size; cat /valohai/inputs/table/table.csv; exit 5\n")
    reader.join(20)
    assert not reader.is_alive(), bytes(seen)
    assert "24 90" in seen.decode() and "rows" in seen.decode()
    assert term.exit_code() == 5
    term.close()
    shell.close()
    assert debug_containers(docker_client, *store_run_ids(home)) == []  # this test's own, not anyone's
