"""``run FILE --step NAME --debug --debugger pycharm``: the node's Python runs under the real
pydevd-pycharm and waits; once "PyCharm" (a pydevd protocol server here, what PyCharm's Python
Debug Server is) listens, the node connects to it, stops at a breakpoint in the step's script,
shows a local, resumes; the node then succeeds with its outputs. The run configuration PyCharm
needs is in the project's .idea."""

from __future__ import annotations

import re
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from runner.store.db import RunStore
from tests.support.debug_cli import run_debug_cli
from tests.support.debug_project import LOOP_LINE, SCRIPT, TRAIN
from tests.support.pydevd_server import PydevdServer, debug_in_pycharm, free_port

pytestmark = pytest.mark.docker

WAITING = re.compile(r"waiting for PyCharm's debug server on 127\.0\.0\.1:(\d+) \(train: train\.py\)")
STEP = """
- step:
    name: train
    image: {image}
    command:
      - python3 -c "print('setting up')" && python3 train.py
    time-limit: 2
"""


def test_debug_a_step_in_pycharm(project: Any, home: Path, python_image: str, pydevd_pycharm: str) -> None:
    path = project(STEP.format(image=python_image), **{"train.py": TRAIN})
    port = free_port()
    out, thread, code = run_debug_cli(
        ["run", str(path), "--step", "train", "--debug", "--debugger", "pycharm",
         "--debug-connect", str(port), "--pull", "never"]
    )  # fmt: skip
    assert int(out.wait_for(WAITING).group(1)) == port
    text = "".join(out.lines)
    assert f"pydevd-pycharm {pydevd_pycharm} (no PyCharm found here" in text
    # PyCharm's run configuration: a Python Debug Server on that port, the container's code
    # folder mapped to the project's.
    config_file = path.parent / ".idea" / "runConfigurations" / "Attach_to_pipeline_node_train.xml"
    config = ET.parse(config_file).getroot().find("configuration")
    assert config is not None and config.get("type") == "PyRemoteDebugConfigurationType"
    assert config.get("name") == "Attach to pipeline node train"
    assert config.find("option[@name='PORT']").get("value") == str(port)  # type: ignore[union-attr]
    mapping = config.find("PathMappingSettings/option/list/mapping")
    assert mapping is not None and mapping.attrib == {
        "local-root": "$PROJECT_DIR$",
        "remote-root": "/valohai/repository",
    }
    # The user has not started the debug server yet: the step's script waits, the `python -c`
    # before it ran.
    threading.Event().wait(1.5)
    log = next((home / "logs").glob("*/*train.log")).read_text()
    assert "setting up" in log and '"total"' not in log and thread.is_alive()
    with PydevdServer(port=port) as ide:
        debug_in_pycharm(ide, pydevd_pycharm, SCRIPT, LOOP_LINE, paused=2.5)
    thread.join(60)
    assert code == [0], "".join(out.lines)
    store = RunStore(home / "runs.sqlite3")
    (execution,) = store.executions(store.runs(1)[0]["id"])
    assert execution["status"] == "succeeded"
    assert [o["path"] for o in store.outputs(execution["id"])] == ["total.txt"]
    assert store.metadata(execution["id"])[0]["total"] == 30
    store.close()
    log = Path(execution["log_path"]).read_text()
    assert "PyCharm's debugger connected (127.0.0.1:" in log
    assert "Expected:" not in log  # pydevd found what it looks for (its Linux thread helpers)


def test_pycharm_options_are_checked(project: Any, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from runner.cli.main import build_parser

    path = project(STEP.format(image="python:3"), **{"train.py": TRAIN})
    for extra, message in (
        (["--debugger", "pycharm"], "--debugger pycharm goes with --debug"),
        (["--debug", "--debug-connect", "5679"], "--debug-connect and --pycharm-build are for --debugger"),
        (["--debug", "--debugger", "pycharm", "--debug-connect", "x"], "give PORT or HOST:PORT"),
        (["--debug", "--debugger", "pycharm", "--pycharm-build", "latest"], "as PyCharm shows it in Help"),
    ):
        args = build_parser().parse_args(["run", str(path), "--step", "train", *extra])
        assert args.func(args) == 2
        assert message in capsys.readouterr().err


def test_cancelling_a_node_waiting_for_pycharm_ends_it_cleanly(
    project: Any, home: Path, python_image: str, pydevd_pycharm: str, docker_client: Any,
    container_label: dict[str, str],
) -> None:  # fmt: skip
    from runner.api import RunOptions, plan_run, start_run
    from runner.debug.pycharm import PyCharmTarget
    from runner.events import DebuggerListening

    path = project(STEP.format(image=python_image), **{"train.py": TRAIN})
    port = free_port()  # nothing ever listens there: PyCharm is not started
    options = RunOptions(labels=container_label, debug_nodes=("train",), pycharm=PyCharmTarget(port=port))
    handle = start_run(plan_run(path, step="train"), options, pull="never", client=docker_client, home=home)
    try:
        event = handle.events.get(timeout=60)
        while not isinstance(event, DebuggerListening):
            event = handle.events.get(timeout=60)
        assert (event.debugger, event.port) == ("pycharm", port)
        assert handle.executor.options.pycharm.build == pydevd_pycharm
        threading.Event().wait(1)  # the runner knocks on the debug server meanwhile
        handle.cancel()
        assert handle.wait(60) == "cancelled"
    finally:
        handle.cancel()
        handle.wait(30)
    relays = [t for t in threading.enumerate() if t.name.startswith("ide-relay-")]
    deadline = time.monotonic() + 5
    while relays and time.monotonic() < deadline:
        time.sleep(0.05)
        relays = [t for t in relays if t.is_alive()]
    assert relays == []  # the relay stopped knocking
    left = docker_client.containers.list(
        all=True, filters={"label": f"pipeline-designer.run-id={handle.run_id}"}
    )
    assert left == []
