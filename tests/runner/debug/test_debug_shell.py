"""``pipeline-designer shell RUN/NODE``: a node's world rebuilt from the store, on the real engine.

A succeeded, a failed and a reused node each get a debug container whose /valohai/inputs and
/valohai/config are that execution's; a running node gets ``docker exec`` in its own container.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from runner.cli.main import build_parser
from runner.debug.shell import DEBUG_LABEL, open_shell
from runner.debug.world import ShellError

pytestmark = pytest.mark.docker

PIPELINE = r"""
- step:
    name: produce
    image: busybox
    command:
      - echo rows > /valohai/outputs/table.csv
      - "echo '{\"rows\": 3}'"
    parameters:
      - {name: seed, type: integer, default: 7}
- step:
    name: consume
    image: busybox
    command:
      - cat /valohai/inputs/table/table.csv
      - echo made > /valohai/outputs/model.bin
      - test {parameter-value:mode} = ok
    parameters:
      - {name: mode, type: string, default: ok}
    inputs:
      - {name: table}
- pipeline:
    name: p
    nodes:
      - {name: prep, step: produce, type: execution}
      - {name: good, step: consume, type: execution}
      - name: bad
        step: consume
        type: execution
        on-error: continue
        override: {parameters: [{name: mode, default: broken}]}
    edges:
      - [prep.output.table.csv, good.input.table]
      - [prep.output.table.csv, bad.input.table]
"""

CHECK = "ls /valohai/inputs/table; cat /valohai/config/parameters.json"


def shell_cli(*argv: str) -> int:
    args = build_parser().parse_args(["shell", *argv])
    return int(args.func(args))


def _no_debug_containers(docker_client: Any) -> list[str]:
    found = docker_client.containers.list(all=True, filters={"label": DEBUG_LABEL})
    return [c.name for c in found]


def test_shell_rebuilds_succeeded_failed_and_reused_worlds(
    run_yaml, project, home: Path, docker_client: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    path = project(PIPELINE)
    first = run_yaml(path, pipeline="p")
    assert first.statuses()["good"] == "succeeded"
    assert first.statuses()["bad"] == "failed"
    before = set(_no_debug_containers(docker_client))

    for node, mode in (("good", "ok"), ("bad", "broken")):
        capfd.readouterr()
        code = shell_cli("--network", "none", f"{first.run_id}/{node}", "--", "sh", "-c", CHECK)
        out = capfd.readouterr().out
        assert code == 0, out
        listing, _, params = out.partition("\n")
        assert listing == "table.csv"
        assert json.loads(params) == {"mode": mode}

    # The failing command itself fails again in its world, with its status.
    capfd.readouterr()
    assert (
        shell_cli("--network", "none", f"{first.run_id}/bad", "--", "sh", "/valohai/runner/command.sh") == 1
    )
    assert capfd.readouterr().out == "rows\n"
    # Outputs are there, read-only.
    write = "cat /valohai/outputs/model.bin; echo x > /valohai/outputs/new || echo refused"
    code = shell_cli("--network", "none", f"{first.run_id}/good", "--", "sh", "-c", write)
    assert code == 0
    assert capfd.readouterr().out.split() == ["made", "refused"]

    second = run_yaml(path, pipeline="p")
    assert second.statuses()["prep"] == "reused" and second.statuses()["good"] == "reused"
    capfd.readouterr()
    assert shell_cli("--network", "none", "latest/good", "--", "sh", "-c", CHECK) == 0
    assert capfd.readouterr().out.splitlines()[0] == "table.csv"
    assert set(_no_debug_containers(docker_client)) == before
    assert not list((home / "debug").iterdir())


def test_shell_refuses_clearly(run_yaml, project, capfd: pytest.CaptureFixture[str]) -> None:
    outcome = run_yaml(project(PIPELINE), pipeline="p")
    capfd.readouterr()
    assert shell_cli(f"{outcome.run_id}/nope", "--", "true") == 2
    err = capfd.readouterr().err
    assert "has no node 'nope'" in err and "bad, good, prep" in err
    assert shell_cli("no-such-run/good", "--", "true") == 2
    assert "no run 'no-such-run'" in capfd.readouterr().err
    assert shell_cli("justaname", "--", "true") == 2
    assert "is not RUN/NODE" in capfd.readouterr().err


def test_interactive_terminal_in_a_debug_container(run_yaml, project, home: Path) -> None:
    outcome = run_yaml(project(PIPELINE), pipeline="p")
    shell = open_shell(f"{outcome.run_id}/bad", network="none")
    assert "debug container" in shell.banner and "not kept yet" in shell.banner
    term = shell.terminal()
    term.resize(30, 100)
    seen = bytearray()
    reader = threading.Thread(target=lambda: [seen.extend(d) for d in iter(term.read, b"")], daemon=True)
    reader.start()
    term.write(b"stty size; cat /valohai/config/parameters.json; exit 3\n")
    reader.join(20)
    assert not reader.is_alive(), bytes(seen)
    text = seen.decode()
    assert "30 100" in text and '"mode": "broken"' in text
    assert term.exit_code() == 3
    term.close()
    shell.close()


def test_shell_in_a_running_node_uses_its_own_container(
    project, home: Path, docker_client: Any, container_label: dict[str, str]
) -> None:
    from runner.api import RunOptions, plan_run, start_run

    path = project(
        """
        - step:
            name: slow
            image: busybox
            command:
              - echo started
              - sleep 30
            environment-variables:
              - {name: GREETING, default: hello}
        """
    )
    opts = RunOptions(image_map={"busybox": "pipeline-designer-test/busybox:1"}, labels=container_label)
    handle = start_run(plan_run(path, step="slow"), opts, network="none", pull="never", client=docker_client)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                shell = open_shell(f"{handle.run_id}/slow")
            except ShellError:
                time.sleep(0.2)
                continue
            if shell.live is not None:
                break
            time.sleep(0.2)
        assert shell.live is not None
        assert "running container" in shell.banner
        chunks: list[bytes] = []
        code = shell.run(
            ["sh", "-c", "echo $GREETING; pwd; echo oops >&2; exit 4"], lambda s, d: chunks.append(d)
        )
        assert code == 4
        assert b"".join(chunks).decode().split() == ["hello", "/valohai/repository", "oops"]
        shell.close()
    finally:
        handle.cancel()
        handle.wait(30)
