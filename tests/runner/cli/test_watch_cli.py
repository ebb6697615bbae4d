"""``pipeline-designer watch``: saved triggers, usage errors, and re-runs on the real Docker engine."""

from __future__ import annotations

import argparse
import io
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from runner.cli import watch_cmd
from runner.config.sidecar import Layout, sidecar_path
from runner.store.db import RunStore
from runner.store.paths import HOME_ENV
from tests.support.paths import REPO

IMAGE_MAP = "busybox=pipeline-designer-test/busybox:1"

YAML = """\
- step:
    name: count
    image: busybox
    command: mkdir -p /valohai/outputs && wc -l < /valohai/inputs/data/train.csv > /valohai/outputs/count.txt
    inputs:
      - {name: data, default: data/train.csv}
- step:
    name: hello
    image: busybox
    command: echo {parameter-value:word} > /valohai/outputs/hello.txt
    parameters:
      - {name: word, type: string, default: hi}
- step: {name: sleepy, image: busybox, command: sleep 120}
- pipeline:
    name: p
    nodes:
      - {name: count, step: count, type: execution}
      - {name: hello, step: hello, type: execution}
    edges: []
- pipeline:
    name: slow
    nodes: [{name: sleepy, step: sleepy, type: execution}]
    edges: []
"""


def _project(root: Path) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "data" / "train.csv").write_text("a,b\n")
    (root / ".vhignore").write_text("data/\n")
    path = root / "valohai.yaml"
    path.write_text(YAML)
    return path


@pytest.fixture
def yaml_path(tmp_path: Path) -> Path:
    return _project(tmp_path / "project")


def _cli(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    watch_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["watch", *argv])
    out = io.StringIO()
    return args.func(args, out), out.getvalue()


# --- saved triggers and errors (no engine) ------------------------------------------------------


def test_save_list_and_use_a_trigger(yaml_path: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    layout = Layout()
    layout.set_position("p", "count", (5, 6))
    layout.save(yaml_path)
    monkeypatch.chdir(tmp_path)  # --on-change paths are relative to where the command runs
    code_, text = _cli(str(yaml_path), "-p", "p", "--on-change", "project/data", "--save", "on-data")
    assert code_ == 0 and "--trigger on-data" in text
    code_, _ = _cli(
        str(yaml_path), "-p", "p", "--cron", "0 3 * * 1-5", "--param", "hello.word=yo", "--save", "nightly"
    )
    assert code_ == 0
    saved = json.loads(sidecar_path(yaml_path).read_text())
    assert saved["triggers"] == {
        "on-data": {"pipeline": "p", "on_change": ["data/"]},
        "nightly": {"pipeline": "p", "cron": "0 3 * * 1-5", "params": {"hello.word": "yo"}},
    }
    assert saved["pipelines"]["p"]["nodes"] == {"count": [5.0, 6.0]}  # positions kept
    code_, text = _cli(str(yaml_path), "--list")
    lines = text.splitlines()
    assert code_ == 0 and len(lines) == 2
    assert lines[0].startswith("nightly  pipeline p: cron 0 3 * * 1-5 (At 03:00 on Monday through Friday)")
    assert " next 20" in lines[0]
    assert lines[1].startswith("on-data ") and "pipeline p: on change of data/" in lines[1]
    # a saved trigger whose pipeline was renamed away: a clear usage error, nothing runs
    yaml_path.write_text(YAML.replace("name: p\n", "name: q\n"))
    assert _cli(str(yaml_path), "--trigger", "on-data")[0] == 2
    assert "pipeline 'p' does not exist (pipelines: q, slow)" in capsys.readouterr().err
    assert _cli(str(yaml_path), "--trigger", "nope")[0] == 2
    assert "no trigger 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--every", "1h"], "--pipeline NAME is needed"),
        (["-p", "p", "--every", "soon"], "not a duration"),
        (["-p", "p", "--cron", "0 3 * *"], "needs 5 fields"),
        (["-p", "p", "--on-change", "missing/"], "missing does not exist"),
        (["-p", "nope", "--every", "1h"], "pipeline 'nope' does not exist"),
        (["-p", "p", "--every", "1h", "--param", "novalue"], "is not NAME=VALUE"),
        (["-p", "p", "--every", "1h", "--save", "bad name"], "use letters, digits"),
        (["--trigger", "x", "--save", "y"], "--save goes with"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(
    yaml_path: Path, capsys, monkeypatch, argv, message
) -> None:
    monkeypatch.chdir(yaml_path.parent)
    assert _cli(str(yaml_path), *argv)[0] == 2
    assert message in capsys.readouterr().err


def test_watch_starts_without_qt_or_docker_imports(yaml_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "designer.cli", "watch", str(yaml_path), "--list"],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    imported = [line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line]
    assert imported and not [
        m for m in imported if m.startswith(("PySide6", "shiboken6", "docker", "paramiko"))
    ]


# --- on the real engine -------------------------------------------------------------------------


class Watch:
    """``pipeline-designer watch`` as a real subprocess; its stdout lines arrive on a queue."""

    def __init__(self, yaml_path: Path, home: Path, *argv: str) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            HOME_ENV: str(home),
            "PIPELINE_DESIGNER_IMAGE_MAP": IMAGE_MAP,
        }
        cmd = [
            sys.executable,
            "-m",
            "designer.cli",
            "watch",
            str(yaml_path),
            "--network",
            "none",
            "--pull",
            "never",
        ]
        self.proc = subprocess.Popen(
            [*cmd, *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=yaml_path.parent,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def next_line(self, timeout: float = 90) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            self.proc.kill()
            raise AssertionError(f"no output in {timeout}s; stderr: {self.proc.stderr.read()}") from None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def change_watch(
    tmp_path_factory: pytest.TempPathFactory, docker_client: Any, busybox_image: str
) -> dict[str, Any]:
    """The Proof's run: --on-change data/ --max-runs 3 --once-at-start, the data changed twice."""
    root = tmp_path_factory.mktemp("change-watch")
    yaml_path, home = _project(root / "project"), root / "home"
    data = yaml_path.parent / "data" / "train.csv"
    watch = Watch(
        yaml_path,
        home,
        "-p",
        "p",
        "--on-change",
        "data/",
        "--max-runs",
        "3",
        "--once-at-start",
        "--poll",
        "0.5",
    )
    try:
        lines = [watch.next_line()]  # "watching ..."
        for row in ("1,2\n", "3,4\n", None):
            lines.append(watch.next_line())  # the run's line, printed when it has ended
            if row is not None:
                data.write_text(data.read_text() + row)
        code_ = watch.proc.wait(30)
    finally:
        watch.close()
    store = RunStore(home / "runs.sqlite3")
    runs = list(reversed(store.runs()))
    executions = [{e["node"]: e for e in store.executions(r["id"])} for r in runs]
    outputs = [store.outputs(e["count"]["id"]) for e in executions]
    # ignore_removed: other tests' containers (other xdist workers) may go while they are listed
    left = docker_client.containers.list(
        all=True, ignore_removed=True, filters={"label": "pipeline-designer.run-id"}
    )
    left = [c.name for c in left if c.labels.get("pipeline-designer.run-id") in {r["id"] for r in runs}]
    return {
        "code": code_,
        "lines": lines,
        "runs": runs,
        "executions": executions,
        "outputs": outputs,
        "left": left,
    }


@pytest.mark.docker
def test_file_change_trigger_reruns_the_pipeline_once_per_change(change_watch: dict[str, Any]) -> None:
    lines, runs = change_watch["lines"], change_watch["runs"]
    assert change_watch["code"] == 0, lines
    assert lines[0].startswith("pipeline p: watching data/ for changes (poll 0.5s)")
    assert [
        "[start]" in lines[1],
        "[change: data/train.csv]" in lines[2],
        "[change: data/train.csv]" in lines[3],
    ] == [True] * 3
    assert len(runs) == 3 and [r["status"] for r in runs] == ["succeeded"] * 3
    assert all(
        f"run {r['id']}: succeeded (2 nodes" in line for r, line in zip(runs, lines[1:], strict=True)
    )
    # every run counted the new data: the count node ran each time, with a different output
    assert [e["count"]["status"] for e in change_watch["executions"]] == ["succeeded"] * 3
    assert len({o[0]["sha256"] for o in change_watch["outputs"]}) == 3
    # what the watch printed about reuse is what the store says
    for line, execs in zip(lines[1:], change_watch["executions"], strict=True):
        assert f"{sum(e['status'] == 'reused' for e in execs.values())} reused" in line
    assert change_watch["left"] == []


@pytest.mark.docker
def test_later_runs_reuse_the_node_whose_inputs_did_not_change(change_watch: dict[str, Any]) -> None:
    statuses = [e["hello"]["status"] for e in change_watch["executions"]]
    assert statuses == ["succeeded", "reused", "reused"]
    assert all("1 reused" in line for line in change_watch["lines"][2:])


@pytest.mark.docker
def test_every_fires_on_schedule_and_reuses_unchanged_work(
    yaml_path: Path, tmp_path: Path, docker_client
) -> None:
    home = tmp_path / "home"
    watch = Watch(yaml_path, home, "-p", "p", "--every", "2s", "--max-runs", "2")
    t0 = time.monotonic()
    try:
        lines = [watch.next_line(), watch.next_line(), watch.next_line()]
        assert watch.proc.wait(30) == 0
    finally:
        watch.close()
    assert "meant for tests" in watch.proc.stderr.read()
    assert lines[0].startswith("pipeline p: every 2s; next run ")
    assert all("[schedule: " in line and ": succeeded (2 nodes" in line for line in lines[1:])
    assert "0 reused" in lines[1] and "2 reused" in lines[2]  # nothing changed: nothing ran again
    assert time.monotonic() - t0 >= 4
    assert len(RunStore(home / "runs.sqlite3").runs()) == 2


@pytest.mark.docker
@pytest.mark.parametrize(
    ("sig", "exit_code"), [(signal.SIGTERM, 0), (signal.SIGHUP, 0), (signal.SIGINT, 130)]
)
def test_stopping_the_watch_cancels_its_run_and_leaves_no_containers(
    sig: int, exit_code: int, yaml_path: Path, tmp_path: Path, docker_client
) -> None:
    home = tmp_path / "home"
    watch = Watch(yaml_path, home, "-p", "slow", "--every", "1h", "--once-at-start")
    try:
        assert watch.next_line().startswith("pipeline slow: every 1h")
        deadline = time.monotonic() + 60
        while not _running_containers(docker_client, home):
            assert time.monotonic() < deadline, "the run did not start its container"
            time.sleep(0.2)
        watch.proc.send_signal(sig)
        assert watch.proc.wait(20) == exit_code
        assert watch.next_line() == "stopped"
    finally:
        watch.close()
    run = RunStore(home / "runs.sqlite3").run("latest")
    assert run is not None and run["status"] == "cancelled"
    assert (
        docker_client.containers.list(all=True, filters={"label": f"pipeline-designer.run-id={run['id']}"})
        == []
    )


def _running_containers(client: Any, home: Path) -> list[Any]:
    if not (home / "runs.sqlite3").exists():
        return []
    store = RunStore(home / "runs.sqlite3")
    run = store.run("latest")
    store.close()
    return client.containers.list(filters={"label": f"pipeline-designer.run-id={run['id']}"}) if run else []


@pytest.mark.docker
@pytest.mark.parametrize("approve", [False, True])
def test_an_unattended_watch_refuses_approvals_not_given_in_advance(
    yaml_path: Path, tmp_path: Path, busybox_image: str, approve: bool
) -> None:
    gated = YAML.replace(
        "      - {name: hello, step: hello, type: execution}\n",
        "      - name: hello\n        step: hello\n        type: execution\n"
        "        actions: [{when: node-starting, then: require-approval}]\n",
    )
    yaml_path.write_text(gated)
    extra = ["--approve", "hello"] if approve else []
    watch = Watch(
        yaml_path, tmp_path / "home", "-p", "p", "--every", "1h", "--once-at-start", "--max-runs", "1", *extra
    )
    try:
        lines = [watch.next_line(), watch.next_line(timeout=120)]  # "watching …", then the run's line
        code_ = watch.proc.wait(30)
    finally:
        watch.close()
    if approve:
        assert code_ == 0 and "succeeded" in lines[1], lines
    else:  # not a hang: the node fails at once with the fix in the message
        assert code_ == 1 and "failed" in lines[1] and "hello failed" in lines[1], lines
        store = RunStore(tmp_path / "home" / "runs.sqlite3")
        run = store.runs()[0]
        assert "pass --approve hello" in store.execution(run["id"], "hello")["message"]
