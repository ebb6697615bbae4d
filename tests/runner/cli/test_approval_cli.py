"""``pipeline-designer run`` and node actions: the approval question on a terminal (a real pty),
the non-interactive failure, ``--approve`` / ``--approve-all`` and stopped runs."""

from __future__ import annotations

import argparse
import io
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runner.cli import run_cmd
from runner.store.db import RunStore
from tests.support.paths import REPO
from tests.support.terminal import read_until

pytestmark = pytest.mark.docker
BUSYBOX_MAP = "busybox=pipeline-designer-test/busybox:1"

YAML = """
- step:
    name: train
    image: busybox
    command: |
      echo '{{"accuracy": 0.95}}'
- step: {{name: use, image: busybox, command: echo used, inputs: [{{name: x, optional: true}}]}}
- pipeline:
    name: p
    nodes:
      - name: train
        step: train
        type: execution
        actions: [{actions}]
      - {{name: deploy, step: use, type: execution}}
    edges: [[train.output.*, deploy.input.x]]
"""
APPROVE = "{when: node-complete, if: 'metadata.accuracy > 0.9', then: require-approval}"
STOP = "{when: node-complete, if: 'metadata.accuracy > 0.9', then: stop-pipeline}"
CLI = (
    "import sys, argparse; from runner.cli import run_cmd; p = argparse.ArgumentParser(); "
    "s = p.add_subparsers(dest='command'); run_cmd.register(s); a = p.parse_args(sys.argv[1:]); "
    "sys.exit(a.func(a))"
)


@pytest.fixture
def cli_env(home: Path, monkeypatch: pytest.MonkeyPatch, busybox_image: str) -> Path:
    monkeypatch.setenv("PIPELINE_DESIGNER_IMAGE_MAP", BUSYBOX_MAP)
    return home


def _cli(*argv: str, stdin: io.StringIO | None = None) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    run_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["run", *argv, "--pipeline", "p", "--network", "none", "--pull", "never"])
    out = io.StringIO()
    return args.func(args, out, stdin or io.StringIO("")), out.getvalue()


def test_on_a_terminal_the_question_is_asked_and_y_approves(project, cli_env: Path) -> None:
    path = project(YAML.format(actions=APPROVE))
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, "run", str(path), "-p", "p", "--network", "none", "--pull", "never"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        close_fds=True,
    )
    os.close(slave)
    try:
        seen = read_until(master, lambda t: "[y/N]" in t)
        assert 'Approve node "train" (node-complete: metadata.accuracy > 0.9)? [y/N]' in seen, seen
        os.write(master, b"y\n")
        seen += read_until(master, lambda t: proc.poll() is not None and t.endswith("\n"), timeout=60)
        assert proc.wait(30) == 0, seen
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert ": succeeded" in seen
    run = RunStore(cli_env / "runs.sqlite3").run("latest")
    assert run["status"] == "succeeded"
    row = RunStore(cli_env / "runs.sqlite3").execution(run["id"], "train")
    assert row["message"] == "approved"


def test_not_interactive_fails_the_node_at_once_with_what_to_do(project, cli_env, capsys) -> None:
    path = project(YAML.format(actions=APPROVE))
    t0 = time.monotonic()
    code, out = _cli(str(path))
    assert code == 1 and time.monotonic() - t0 < 30
    message = 'node "train" needs approval; run interactively, or pass --approve train (or --approve-all)'
    assert message in capsys.readouterr().err
    assert (
        f"train: {message}" in out
        and "deploy: pipeline stopped: node train failed (on-error: stop-all)" in out
    )


def test_approve_options_pass_without_asking(project, cli_env, capsys) -> None:
    path = project(YAML.format(actions=APPROVE))
    code, out = _cli(str(path), "--approve", "train", "--no-reuse")
    assert code == 0 and out.rstrip().endswith(": succeeded"), out
    code, out = _cli(str(path), "--approve-all", "--no-reuse")
    assert code == 0, out
    assert "needs approval" not in capsys.readouterr().err
    code, _ = _cli(str(path), "--approve", "ghost")
    assert code == 2 and "--approve: no node ghost (nodes: train, deploy)" in capsys.readouterr().err


def test_a_stopped_run_says_why_and_exits_0(project, cli_env) -> None:
    code, out = _cli(str(project(YAML.format(actions=STOP))))
    assert code == 0
    assert out.rstrip().endswith(": stopped (stopped by action of node train: metadata.accuracy > 0.9)"), out
    assert "deploy: pipeline stopped by action of node train: metadata.accuracy > 0.9" in out


def test_help_documents_the_exit_codes_and_options() -> None:
    parser = argparse.ArgumentParser()
    run_cmd.register(parser.add_subparsers(dest="command"))
    text = parser._subparsers._group_actions[0].choices["run"].format_help()  # type: ignore[union-attr]
    flat = " ".join(text.split())
    assert "--approve NODE" in flat and "--approve-all" in flat
    assert "0 when every node succeeded or a stop-pipeline action stopped the run" in flat
