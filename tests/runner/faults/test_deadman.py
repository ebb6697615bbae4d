"""The dead-man switch: a runner killed with SIGKILL (or frozen, as by a power cut) leaves no
step running, on the local engine and through the test sshd, and the store says
``interrupted`` at once; and the watchdog changes nothing a step can see (docs/runtime.md)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from runner.execution import deadman
from runner.execution.spec import RUN_LABEL
from tests.support.images import BUSYBOX
from tests.support.paths import REPO
from tests.support.runner_process import (
    kill_runner,
    runner_env,
    runner_process,
    running_containers,
    seconds_stopped_after,
)

SLEEPY = f'- step: {{name: sleepy, image: {BUSYBOX}, command: "echo started; sleep 300"}}\n'


def _cli(home: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "designer.cli", *args],
        cwd=REPO,
        env=runner_env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_binaries_are_built_from_the_source_next_to_them() -> None:
    here = Path(deadman.__file__).parent
    recorded = (here / "watchdog.c.sha256").read_text().strip()
    assert hashlib.sha256((here / "watchdog.c").read_bytes()).hexdigest() == recorded, (
        "watchdog.c changed: rebuild with runner/execution/deadman/build.sh"
    )
    for arch in ("amd64", "arm64"):
        binary = here / f"pd-watchdog-{arch}"
        assert binary.stat().st_size < 16_000 and os.access(binary, os.X_OK)
        assert deadman.Watchdog.for_arch(arch) is not None


def test_the_watchdog_is_off_when_its_timeout_is_0(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(deadman.TIMEOUT_ENV, "0")
    assert deadman.Watchdog.for_arch("amd64") is None
    monkeypatch.setenv(deadman.TIMEOUT_ENV, "2.5")
    watchdog = deadman.Watchdog.for_arch("x86_64")
    assert watchdog is not None and watchdog.wrap(["sh", "x"])[1:4] == ["2500", "2000", "--"]
    assert deadman.Watchdog.for_arch("s390x") is None  # no binary: the step runs without it


@pytest.mark.docker
@pytest.mark.parametrize("backend", ["docker", "docker-archive"])
def test_a_step_sees_what_it_saw_without_the_watchdog(
    backend: str, project: Any, run_yaml: Any, home: Path
) -> None:
    """Working directory, environment, exit status, stdout/stderr, stdin and SIGTERM."""
    path = project(
        f"""
        - step:
            name: look
            image: {BUSYBOX}
            environment-variables: [{{name: MINE, default: kept}}]
            command:
              - echo "cwd=$(pwd) mine=$MINE outputs=$VH_OUTPUTS_DIR"
              - echo "stdin=[$(cat)]"
              - echo "to stderr" >&2
              - echo "parent=$(cat /proc/$PPID/comm)"
              - exit 7
        - step:
            name: term
            image: {BUSYBOX}
            command: trap 'echo got SIGTERM; exit 3' TERM; echo started; while :; do sleep 0.1; done
        """
    )
    outcome = run_yaml(path, step="look", backend=backend)
    lines = [(e.stream, e.text) for e in outcome.events if getattr(e, "stream", "") in ("stdout", "stderr")]
    assert ("stdout", "cwd=/valohai/repository mine=kept outputs=/valohai/outputs") in lines
    assert ("stdout", "stdin=[]") in lines and ("stderr", "to stderr") in lines
    assert ("stdout", "parent=docker-init") in lines  # the step is init's child, as before
    assert outcome.node_event("look", "failed").exit_code == 7

    from runner.api import RunOptions, plan_run, start_run
    from runner.events import LogLine
    from tests.support.images import IMAGE_MAP

    seen: list[str] = []
    handle = start_run(
        plan_run(path, step="term"),
        RunOptions(image_map=IMAGE_MAP),
        backend=backend,
        network="none",
        pull="never",
        on_event=lambda e: seen.append(e.text) if isinstance(e, LogLine) else None,
    )
    deadline = time.monotonic() + 60
    while "started" not in seen and time.monotonic() < deadline:
        time.sleep(0.05)
    handle.cancel()
    assert handle.wait(60) == "cancelled"
    assert "got SIGTERM" in seen  # the cancel's SIGTERM reached the step itself


@pytest.mark.docker
@pytest.mark.parametrize("backend", ["docker", "docker-archive"])
def test_a_step_outlasting_the_timeout_runs_to_its_end_while_its_runner_lives(
    backend: str, project: Any, run_yaml: Any, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The heartbeat keeps a step going: only a silent runner ends it."""
    monkeypatch.setenv(deadman.TIMEOUT_ENV, "3")  # a loaded machine may delay a beat by 1-2 s
    path = project(f'- step: {{name: long, image: {BUSYBOX}, command: "sleep 7; echo done"}}\n')
    outcome = run_yaml(path, step="long", backend=backend)
    assert outcome.status == "succeeded", outcome.events


@pytest.mark.docker
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGSTOP], ids=["killed", "frozen"])
def test_a_dead_runner_leaves_no_step_running(how: int, project: Any, home: Path, docker_client: Any) -> None:
    """SIGKILL closes the runner's connection; SIGSTOP (a power cut, a frozen machine) stops its
    heartbeat: either way the step stops within 10 s of the runner dying (the engine's own record
    of when it ended, however slowly a loaded machine lets us look), and history and show say
    interrupted at once."""
    path = project(SLEEPY)
    with runner_process(home, str(path), "--step", "sleepy") as runner:
        run_id = runner.run_id(timeout=120)
        assert len(running_containers(docker_client, run_id)) == 1
        died = kill_runner(runner.proc, how)
        took = seconds_stopped_after(docker_client, run_id, died)
        assert took < 10.0, f"the step ran {took:.1f} s after its runner died"
        (container,) = docker_client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"})
        why = "the runner closed its connection" if how == signal.SIGKILL else "no heartbeat from the runner"
        assert f"pipeline-designer: {why}: stopping the step" in container.logs().decode()
        if how == signal.SIGSTOP:
            kill_runner(runner.proc, signal.SIGKILL)  # frozen for good: its process is gone now
    assert f"{run_id}  interrupted" in _cli(home, "history")  # no new run needed to say so
    assert '"status": "interrupted"' in _cli(home, "show", run_id, "--json")
    # The next run removes the stopped container and the work folder.
    from runner.api import RunOptions, plan_run, start_run

    handle = start_run(plan_run(path, step="sleepy"), RunOptions(), backend="local")
    handle.cancel()
    assert handle.wait(120) is not None
    assert docker_client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"}) == []
    assert not (home / "work" / run_id).exists()


def test_a_pid_handed_to_another_process_is_not_taken_for_the_runner(home: Path) -> None:
    """A run whose pid is alive but belongs to a process started later reads as interrupted."""
    from runner.api import open_store

    _home, store, _artifacts = open_store(home)
    store.create_run("r-reused", started=time.time(), pipeline="p")
    store.update_run("r-reused", pid=os.getpid(), pid_start="some-other-boot/123")
    store.create_run("r-mine", started=time.time(), pipeline="p")  # this process: alive
    store.close()
    text = _cli(home, "history")
    assert "r-reused  interrupted" in text and "r-mine  running" in text


def _processes_with(marker: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if (
                proc.name.isdigit()
                and marker in (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            ):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def test_a_killed_runner_leaves_no_local_process_running(project: Any, home: Path) -> None:
    """The local-process backend: the step and its children end with their runner too."""
    marker = f"{os.getpid()}{time.monotonic_ns() % 1000}"  # sleep 299.<digits>: found by its args
    path = project(
        f'- step: {{name: sleepy, image: none, command: "echo started; sleep 299.{marker}; true"}}\n'
    )
    with runner_process(home, str(path), "--step", "sleepy", "--backend", "local") as runner:
        runner.run_id(timeout=120)
        deadline = time.monotonic() + 60  # running: its shell may not have started sleep yet
        while not _processes_with(f"sleep 299.{marker}"):
            assert time.monotonic() < deadline, "the step's sleep never started"
            time.sleep(0.1)
        kill_runner(runner.proc, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _processes_with(f"sleep 299.{marker}") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _processes_with(f"sleep 299.{marker}"), "the step outlived its runner by 10 s"
