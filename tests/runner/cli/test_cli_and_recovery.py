"""The run/history/show/metrics/outputs subcommands, and recovery after a killed run."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from runner.store.db import RunStore
from tests.support.cli import cli
from tests.support.paths import REPO

pytestmark = pytest.mark.docker

YAML = r"""
- step:
    name: produce
    image: busybox
    command:
      - "echo '{\"step\": 1, \"loss\": 0.5}'"
      - "echo '{\"step\": 2, \"loss\": 0.25}'"
      - mkdir -p /valohai/outputs/dir && echo {parameter-value:word} > /valohai/outputs/dir/word.txt
    parameters:
      - {name: word, type: string, default: hello}
- step: {name: fail, image: busybox, command: "exit 4"}
- pipeline:
    name: p
    nodes: [{name: a, step: produce, type: execution}]
    edges: []
"""


@pytest.fixture
def cli_env(home: Path, monkeypatch: pytest.MonkeyPatch, container_label) -> None:
    monkeypatch.setenv("PIPELINE_DESIGNER_IMAGE_MAP", "busybox=pipeline-designer-test/busybox:1")


def test_run_and_inspect_through_the_cli(project, cli_env, tmp_path: Path, docker_client) -> None:
    path = project(YAML)
    code, text = cli(
        "run",
        str(path),
        "--pipeline",
        "p",
        "--network",
        "none",
        "--pull",
        "never",
        "--param",
        "a.word=two words",
    )
    assert code == 0, text
    assert "a  succeeded" in text and "step=2 loss=0.25" in text and text.rstrip().endswith("succeeded")

    code, text = cli("history", "--json")
    runs = json.loads(text)
    assert code == 0 and runs["format"] == 1 and runs["runs"][0]["status"] == "succeeded"
    run_id = runs["runs"][0]["id"]

    code, text = cli("show", "latest/a", "--json")
    shown = json.loads(text)["execution"]
    assert shown["parameters"] == {"word": "two words"} and shown["last_metadata"] == {
        "step": 2,
        "loss": 0.25,
    }
    assert shown["outputs"][0]["path"] == "dir/word.txt" and len(shown["outputs"][0]["sha256"]) == 64
    code, text = cli("show", run_id)
    assert code == 0 and "output dir/word.txt" in text

    code, text = cli("metrics", f"{run_id}/a", "--csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["step"], r["loss"]) for r in rows] == [("1", "0.5"), ("2", "0.25")]
    code, text = cli("metrics", "latest/a", "--json")
    assert [r["loss"] for r in json.loads(text)["records"]] == [0.5, 0.25]

    code, _ = cli("outputs", "latest/a", "--to", str(tmp_path / "out"))
    assert code == 0 and (tmp_path / "out" / "dir" / "word.txt").read_text() == "two words\n"

    code, _ = cli("show", "nope")
    assert code == 1
    left = docker_client.containers.list(all=True, filters={"label": f"pipeline-designer.run-id={run_id}"})
    assert left == []


def test_cli_exit_codes(project, cli_env, capsys) -> None:
    path = project(YAML)
    code, text = cli("run", str(path), "--step", "fail", "--network", "none", "--pull", "never")
    assert code == 1 and "exit code 4" in text
    code, _ = cli("run", str(path), "--pipeline", "nope", "--pull", "never")
    assert code == 2 and "pipeline 'nope' does not exist" in capsys.readouterr().err
    code, _ = cli("run", str(path), "--pipeline", "p", "--param", "a.nope=1")
    assert code == 2 and "node 'a' has no parameter 'nope'" in capsys.readouterr().err
    code, _ = cli("run", str(path), "--step", "produce", "--param", "word")
    assert code == 2 and "is not NAME=VALUE" in capsys.readouterr().err


KILLED_RUNNER = """
import sys, time
import runner.config
from runner.api import RunOptions, plan_run, start_run
from runner.events import LogLine
plan = plan_run(sys.argv[1], step="sleepy")
h = start_run(plan, RunOptions(image_map={"busybox": "pipeline-designer-test/busybox:1"}), network="none",
              pull="never")
while True:
    e = h.events.get()
    if isinstance(e, LogLine) and e.text == "started":
        print(h.run_id, flush=True)
        break
time.sleep(600)
"""


def test_killed_run_is_marked_interrupted_and_its_containers_removed(project, home, docker_client) -> None:
    from runner.api import RunOptions, plan_run, start_run

    path = project('- step: {name: sleepy, image: busybox, command: "echo started; sleep 300"}\n')
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(KILLED_RUNNER), str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        run_id = proc.stdout.readline().strip()
        assert run_id, "the child runner did not start its container"
        label = {"label": f"pipeline-designer.run-id={run_id}"}
        assert len(docker_client.containers.list(filters=label)) == 1
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    store = RunStore(home / "runs.sqlite3")
    assert store.run(run_id)["status"] == "running"  # as the killed process left it
    # the next start recovers it
    handle = start_run(plan_run(path, step="sleepy", params={}), RunOptions(), backend="local")
    handle.cancel()
    handle.wait(30)
    assert store.run(run_id)["status"] == "interrupted"
    assert store.execution(run_id, "sleepy")["status"] == "interrupted"
    assert docker_client.containers.list(all=True, filters=label) == []
    assert not (home / "work" / run_id).exists()


def test_invalid_yaml_is_a_usage_error(project, cli_env, capsys) -> None:
    path = project("- step: {name: s}\n- 42\n")
    path.write_text("just: a mapping\n")
    code, _ = cli("run", str(path), "--step", "s")
    err = capsys.readouterr().err
    assert code == 2 and "nothing was started" in err and "a valohai.yaml is a list of steps" in err
    path.write_text("- step: [unclosed\n")
    code, _ = cli("run", str(path), "--step", "s")
    assert code == 2 and "valohai.yaml:" in capsys.readouterr().err


def test_ctrl_c_cancels_within_5s_and_exits_130(project, home, docker_client) -> None:
    path = project('- step: {name: sleepy, image: busybox, command: "echo started; sleep 120"}\n')
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "PIPELINE_DESIGNER_IMAGE_MAP": "busybox=pipeline-designer-test/busybox:1",
    }
    code = (
        "import sys; from runner.cli import run_cmd; import argparse; p = argparse.ArgumentParser(); "
        "s = p.add_subparsers(dest='command'); run_cmd.register(s); a = p.parse_args(sys.argv[1:]); "
        "sys.exit(a.func(a))"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "run",
            str(path),
            "--step",
            "sleepy",
            "--network",
            "none",
            "--pull",
            "never",
            "--logs",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )
    try:
        for line in proc.stdout:
            if "started" in line and "stdout" in line:
                break
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 130
        assert time.monotonic() - t0 < 5
    finally:
        if proc.poll() is None:
            proc.kill()
    run = RunStore(home / "runs.sqlite3").run("latest")
    assert run["status"] == "cancelled"
    label = {"label": f"pipeline-designer.run-id={run['id']}"}
    assert docker_client.containers.list(all=True, filters=label) == []
