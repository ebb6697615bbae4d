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
from runner.debug.shell import open_shell
from runner.debug.world import ShellError
from tests.support.debug_containers import debug_containers

pytestmark = pytest.mark.docker
REPO = Path(__file__).resolve().parents[3]

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


def test_shell_rebuilds_succeeded_failed_and_reused_worlds(
    run_yaml, project, home: Path, docker_client: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    path = project(PIPELINE)
    first = run_yaml(path, pipeline="p")
    assert first.statuses()["good"] == "succeeded"
    assert first.statuses()["bad"] == "failed"

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
    assert debug_containers(docker_client, first.run_id, second.run_id) == []
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
    assert "debug container" in shell.banner and "the code this execution ran with (snapshot" in shell.banner
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
        streams: dict[str, bytes] = {"stdout": b"", "stderr": b""}

        def sink(stream: str, data: bytes) -> None:
            streams[stream] += data

        code = shell.run(["sh", "-c", "echo $GREETING; pwd; echo oops >&2; exit 4"], sink)
        assert code == 4
        # Separate streams: only the order within each is defined.
        assert streams == {"stdout": b"hello\n/valohai/repository\n", "stderr": b"oops\n"}
        shell.close()
    finally:
        handle.cancel()
        handle.wait(30)


def test_a_debug_container_whose_shell_process_died_is_removed_by_the_next_shell(
    run_yaml, project, home: Path, docker_client: Any, tmp_path: Path
) -> None:
    """A tty container outlives a killed client: the next shell cleans it up."""
    import subprocess
    import sys

    outcome = run_yaml(project(PIPELINE), pipeline="p")
    script = tmp_path / "hold.py"
    script.write_text(
        "import sys, time\n"
        "from runner.debug.shell import open_shell\n"
        f"term = open_shell({outcome.run_id + '/good'!r}, network='none').terminal()\n"
        "print('open', flush=True)\n"
        "time.sleep(120)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert holder.stdout is not None
        if holder.stdout.readline().strip() != "open":
            holder.kill()
            pytest.fail(f"the holder's shell did not open: {holder.communicate(timeout=30)[1]}")
        (name,) = debug_containers(docker_client, outcome.run_id)
        killed_at = time.time()
    finally:
        holder.kill()
        holder.communicate(timeout=30)
    shell = open_shell(f"{outcome.run_id}/bad", network="none")
    shell.close()
    # Any shell on this machine removes orphans, so another xdist worker's may have (or still be
    # finishing) it: the engine may take a while to finish a removal on a loaded machine.
    deadline = time.monotonic() + 60
    while debug_containers(docker_client, outcome.run_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert debug_containers(docker_client, outcome.run_id) == []
    # It outlived its client (nobody ended it): what ended it was a shell's forced removal (its
    # kill), not its own shell exiting once the client was gone (a die with no kill before it).
    events = docker_client.events(
        since=killed_at, until=time.time() + 1, filters={"type": "container", "container": name}, decode=True
    )
    actions = [event["Action"] for event in events]
    assert "die" in actions and "kill" in actions[: actions.index("die")], actions


def test_the_debug_container_has_the_executions_own_code_when_its_snapshot_is_stored(
    run_yaml, project, home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The code as it was when the node ran, even after the file changed since."""
    from runner.api import open_store
    from runner.execution.codeset import CodeFile, CodeSet

    path = project(PIPELINE, **{"helper.txt": "as it ran\n"})
    outcome = run_yaml(path, pipeline="p")
    _home, store, artifacts = open_store(home)
    sha, size = artifacts.put_file(path.parent / "helper.txt")
    snapshot = CodeSet(path.parent, {"helper.txt": CodeFile("helper.txt", "F", size, sha)}, "snap-1")
    if store.snapshot_files(snapshot.snapshot_id) == []:
        store.add_snapshot(snapshot.snapshot_id, snapshot.manifest())
    execution = store.execution(outcome.run_id, "good")
    store.upsert_execution(execution["id"], snapshot_id=snapshot.snapshot_id)
    store.close()
    (path.parent / "helper.txt").write_text("edited since\n")
    capfd.readouterr()
    assert shell_cli("--network", "none", f"{outcome.run_id}/good", "--", "cat", "helper.txt") == 0
    assert capfd.readouterr().out == "as it ran\n"
    shell = open_shell(f"{outcome.run_id}/good", network="none")
    assert "the code this execution ran with (snapshot snap-1)" in shell.banner
    shell.close()


def test_the_interactive_cli_shell_on_a_real_terminal(
    run_yaml, project, home: Path, docker_client: Any
) -> None:
    """``pipeline-designer shell RUN/NODE`` with no command, under a pseudo-terminal as a user's
    terminal: raw keys in, the window size followed (SIGWINCH), the shell's exit status out."""
    import select
    import sys

    from runner.debug.local_pty import LocalTerminal

    outcome = run_yaml(project(PIPELINE), pipeline="p")
    cli = [sys.executable, "-c", "from designer.cli import main; raise SystemExit(main())"]
    term = LocalTerminal(
        [*cli, "shell", "--network", "none", f"{outcome.run_id}/bad"], cwd=str(REPO), size=(30, 100)
    )
    seen = b""

    def until(text: bytes, timeout: float = 30, again: bytes = b"") -> None:
        """Read until ``text`` shows (failing, never hanging, after ``timeout``); ``again``:
        typed once more each second meanwhile. Answers the shell's cursor-position query as a
        terminal does (busybox's line editor asks, and takes keys typed before the answer for it)."""
        nonlocal seen
        deadline = time.monotonic() + timeout
        while text not in seen:
            left = deadline - time.monotonic()
            assert left > 0, seen
            if not select.select([term], [], [], min(left, 1.0))[0]:
                term.write(again)
                continue
            chunk = term.read()
            assert chunk, seen
            seen += chunk
            if b"\x1b[6n" in chunk:
                term.write(b"\x1b[1;1R")

    until(b"debug container")
    until(b"# ")
    term.write(b"stty size\r")
    until(b"30 100", again=b"stty size\r")
    term.resize(40, 120)
    # The CLI follows SIGWINCH on its own time: a size asked for at once may still be the old one.
    term.write(b"stty size; cat /valohai/config/parameters.json\r")
    until(b"40 120", again=b"stty size\r")
    until(b'"mode": "broken"')
    term.write(b"exit 4\r")
    until(b"exit 4")
    deadline = time.monotonic() + 30
    while chunk := term.read():  # to the end: the pty closes when the CLI exits
        seen += chunk
        assert time.monotonic() < deadline, seen
    assert term.exit_code() == 4, seen
    term.close()
    assert debug_containers(docker_client, outcome.run_id) == []
