"""The resident runner (runner.resident): with it on, ``run`` and ``lint`` through the console
script are served by a warm process of this user, with the same output, exit status and stored
run as in process; stop signals and a killed client cancel the run; off, nothing changes.

Real processes, the real engine, a real store; each test has its own socket folder
(PIPELINE_DESIGNER_RESIDENT_DIR) and stops the resident process it started."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.resident import client
from runner.store.db import RunStore
from tests.support.runner_process import runner_env, running_containers, seconds_until_stopped
from tests.support.terminal import read_until

CLI = str(Path(sys.executable).with_name("pipeline-designer"))
FLAGS = ("--network", "none", "--pull", "never", "--no-reuse")


class Resident:
    def __init__(self, home: Path, config: Path, folder: Path, project: Path) -> None:
        self.home, self.folder, self.project = home, folder, project
        self.env = runner_env(
            home,
            PIPELINE_DESIGNER_RESIDENT="1",
            PIPELINE_DESIGNER_RESIDENT_DIR=str(folder),
            PIPELINE_DESIGNER_CONFIG=str(config),
        )

    def popen(self, *argv: str, env: dict[str, str] | None = None, **kw: object) -> subprocess.Popen[str]:
        kw = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True, **kw}
        return subprocess.Popen([CLI, *argv], cwd=self.project, env=env or self.env, **kw)  # type: ignore[call-overload]

    def cli(self, *argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        with self.popen(*argv, env=env) as proc:
            out, err = proc.communicate(timeout=180)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def served(self) -> int:
        """How many commands the resident processes of this folder served (their log says)."""
        logs = "".join(p.read_text() for p in self.folder.glob("*.log"))
        return logs.count("serving child")

    def pid(self) -> int:
        files = list(self.folder.glob("*.pid"))
        return int(files[0].read_text()) if files else 0

    def wait_listening(self, not_pid: int = 0) -> int:
        """The pid of the resident process once its socket answers (started by a command)."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            pid = self.pid()
            for path in self.folder.glob("*.sock"):
                with socket.socket(socket.AF_UNIX) as sock, contextlib.suppress(OSError):
                    sock.connect(str(path))
                    if pid and pid != not_pid:
                        return pid
            time.sleep(0.1)
        raise AssertionError(f"no resident process listened: {list(self.folder.iterdir())}")

    def stop(self) -> None:
        for path in self.folder.glob("*.pid"):
            with contextlib.suppress(ValueError, ProcessLookupError):
                os.kill(int(path.read_text()), signal.SIGTERM)
        for path in self.folder.glob("*.pid"):
            _wait_gone(int(path.read_text()))


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_gone(pid: int, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while _alive(pid):
        assert time.monotonic() < deadline, f"process {pid} did not end"
        time.sleep(0.05)


@pytest.fixture
def resident(tmp_path: Path, home: Path) -> Iterator[Resident]:
    folder = Path(tempfile.mkdtemp(prefix="pdr-"))  # short: a socket's path has ~107 bytes
    project = tmp_path / "project"
    project.mkdir()
    r = Resident(home, tmp_path / "config", folder / "sock", project)
    try:
        yield r
    finally:
        r.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _yaml(r: Resident, command: str) -> str:
    (r.project / "valohai.yaml").write_text(
        f"- step: {{name: s, image: busybox, command: {json.dumps(command)}}}\n"
    )
    return "valohai.yaml"


def _same(text: str) -> str:
    """Output with what differs between two runs of one node (run id, seconds) blanked."""
    return re.sub(r"\d+\.\d+s", "Ns", re.sub(r"\d{8}-\d{6}-[0-9a-f]+", "RUN", text))


def _warm(r: Resident, path: str) -> int:
    """Run once in process (it starts the resident process), then wait until that listens."""
    first = r.cli("run", path, "--step", "s", *FLAGS)
    assert first.returncode == 0, first.stderr
    assert r.served() == 0
    return r.wait_listening()


def test_a_served_run_prints_exits_and_stores_as_one_in_process(resident: Resident) -> None:
    path = _yaml(resident, 'echo hello; echo "{\\"loss\\": 0.5}"')
    server = _warm(resident, path)
    served = resident.cli("run", path, "--step", "s", *FLAGS)
    assert resident.served() == 1 and resident.pid() == server
    here = resident.cli(
        "run", path, "--step", "s", *FLAGS, env={**resident.env, "PIPELINE_DESIGNER_RESIDENT": "0"}
    )
    assert resident.served() == 1  # off by the env switch: in process
    assert (served.returncode, _same(served.stdout), served.stderr) == (0, _same(here.stdout), here.stderr)
    store = RunStore(resident.home / "runs.sqlite3")
    try:
        runs = store.runs(5)
        assert [r["status"] for r in runs] == ["succeeded"] * 3
        served_run = next(r for r in runs if r["id"] in served.stdout)
        (execution,) = store.executions(served_run["id"])
        assert execution["status"] == "succeeded" and execution["exit_code"] == 0
    finally:
        store.close()
    lint = resident.cli("lint", path)
    assert resident.served() == 2
    assert lint.returncode == 0 and lint.stdout == resident.cli("lint", path, env={**resident.env,
        "PIPELINE_DESIGNER_RESIDENT": "0"}).stdout  # fmt: skip


def test_a_failing_step_exits_1_when_served(resident: Resident) -> None:
    path = _yaml(resident, "echo bad >&2; exit 3")
    resident.cli("lint", path)  # starts the resident process (lint is light)
    resident.wait_listening()
    done = resident.cli("run", path, "--step", "s", *FLAGS)
    assert resident.served() == 1
    assert done.returncode == 1, done
    assert "failed" in done.stdout
    store = RunStore(resident.home / "runs.sqlite3")
    try:
        assert store.run("latest")["status"] == "failed"
    finally:
        store.close()


def _running_run(r: Resident, proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    for line in proc.stdout:
        if "started" in line and "stdout" in line:
            break
    store = RunStore(r.home / "runs.sqlite3")
    try:
        return str(store.run("latest")["id"])
    finally:
        store.close()


@contextlib.contextmanager
def _served_sleep(resident: Resident) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A two-minute step run through the client once the resident process listens: the client
    process and the run's id, once its container runs."""
    path = _yaml(resident, "echo started; sleep 120")
    resident.cli("lint", path)
    resident.wait_listening()
    with resident.popen("run", path, "--step", "s", "--logs", *FLAGS) as proc:
        yield proc, _running_run(resident, proc)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stop_signal_to_the_client_cancels_the_served_run(
    resident: Resident, docker_client: object, sig: int, code: int
) -> None:
    with _served_sleep(resident) as (proc, run_id):
        assert resident.served() == 1 and running_containers(docker_client, run_id)
        t0 = time.monotonic()
        proc.send_signal(sig)
        assert proc.wait(30) == code
        assert time.monotonic() - t0 < 5
    assert seconds_until_stopped(docker_client, run_id) < 5
    store = RunStore(resident.home / "runs.sqlite3")
    try:
        assert store.run(run_id)["status"] == "cancelled"
    finally:
        store.close()


def test_a_killed_client_leaves_no_container_and_no_running_run(
    resident: Resident, docker_client: object
) -> None:
    with _served_sleep(resident) as (proc, run_id):
        proc.kill()
        proc.wait(30)
    assert seconds_until_stopped(docker_client, run_id, limit=60) <= 60
    deadline = time.monotonic() + 60
    while True:
        store = RunStore(resident.home / "runs.sqlite3")
        try:
            status = store.run(run_id)["status"]
        finally:
            store.close()
        if status != "running" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == "cancelled"


def test_a_closed_output_pipe_stays_quiet_when_served(resident: Resident) -> None:
    path = _yaml(resident, "for i in 1 2 3; do echo line $i; done")
    resident.cli("lint", path)
    resident.wait_listening()
    read, write = os.pipe()
    os.close(read)
    try:
        with resident.popen("run", path, "--step", "s", "--logs", *FLAGS, stdout=write) as proc:
            _out, err = proc.communicate(timeout=180)
    finally:
        os.close(write)
    assert resident.served() == 1
    assert proc.returncode in (0, 141) and "Traceback" not in err and "Exception ignored" not in err, err


def test_a_stale_socket_is_replaced_and_an_idle_one_ends(resident: Resident) -> None:
    path = _yaml(resident, "true")
    resident.cli("lint", path)
    first = resident.wait_listening()
    os.kill(first, signal.SIGKILL)  # its socket stays behind, nobody listening
    _wait_gone(first)
    assert list(resident.folder.glob("*.sock"))
    idle = {**resident.env, "PIPELINE_DESIGNER_RESIDENT_IDLE": "1"}
    assert resident.cli("lint", path, env=idle).returncode == 0  # in process; starts a new one
    second = resident.wait_listening(not_pid=first)
    assert resident.served() == 0
    _wait_gone(second)  # idle for a second: it ends and takes its socket with it
    assert not list(resident.folder.glob("*.sock"))


def test_off_by_default_nothing_is_started(resident: Resident) -> None:
    env = {k: v for k, v in resident.env.items() if k != "PIPELINE_DESIGNER_RESIDENT"}
    path = _yaml(resident, "true")
    assert resident.cli("run", path, "--step", "s", *FLAGS, env=env).returncode == 0
    assert not resident.folder.exists()
    assert resident.cli("settings", "set", "resident-runner", "on", env=env).returncode == 0
    assert client.enabled(env)
    assert "resident runner: on" in resident.cli("settings", env=env).stdout
    assert resident.cli("lint", path, env=env).returncode == 0
    resident.wait_listening()  # the setting alone turned it on


def test_a_process_of_another_version_or_an_open_folder_serves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="pdr-")) / "sock"
    monkeypatch.setenv(client.DIR_ENV, str(folder))
    monkeypatch.setenv(client.ENABLE_ENV, "1")
    started: list[str] = []
    monkeypatch.setattr(client, "start", lambda path, key: started.append(path))
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(client.socket_path(client.fingerprint()))
    listener.listen(1)

    def other_version() -> None:
        conn, _ = listener.accept()
        conn.sendall(b'{"key": "another", "pid": 1}\n')
        conn.recv(10)
        conn.close()

    threading.Thread(target=other_version, daemon=True).start()
    try:
        assert client.forward(["lint", "valohai.yaml"]) is None  # run here, not by it
        folder.chmod(0o755)
        assert client.forward(["lint", "valohai.yaml"]) is None
        assert client.forward(["history"]) is None  # only run and lint are ever handed over
    finally:
        listener.close()
        shutil.rmtree(folder.parent, ignore_errors=True)
    assert started == []


APPROVAL = """
- step:
    name: train
    image: busybox
    command: |
      echo '{"accuracy": 0.95}'
- pipeline:
    name: p
    nodes:
      - name: train
        step: train
        type: execution
        actions: [{when: node-complete, if: 'metadata.accuracy > 0.9', then: require-approval}]
    edges: []
"""


def test_an_approval_question_is_asked_on_the_callers_terminal_when_served(resident: Resident) -> None:
    (resident.project / "valohai.yaml").write_text(APPROVAL)
    resident.cli("lint", "valohai.yaml")
    resident.wait_listening()
    master, slave = pty.openpty()
    proc = resident.popen(
        "run", "valohai.yaml", "-p", "p", *FLAGS, stdin=slave, stdout=slave, stderr=slave, close_fds=True
    )
    os.close(slave)
    try:
        seen = read_until(master, lambda text: "[y/N]" in text, 120, proc)
        assert 'Approve node "train"' in seen, seen
        assert resident.served() == 1  # the served child asked, on this terminal
        os.write(master, b"y\n")
        seen += read_until(master, lambda text: "run " in text, 120, proc)
        assert proc.wait(60) == 0, seen
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    store = RunStore(resident.home / "runs.sqlite3")
    try:
        run = store.run("latest")
        assert run["status"] == "succeeded"
        assert store.execution(run["id"], "train")["message"] == "approved"
    finally:
        store.close()
