"""The supervisor every node's container runs its step under on a Ray worker (task.SUPERVISE),
under the shells images have as /bin/sh: busybox ash, dash and bash. No cluster needed."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator

import pytest

from runner.ray.remote.task import SUPERVISE
from tests.support.remote import in_ci

SHELLS = {"busybox": ["busybox", "sh"], "dash": ["dash"], "bash": ["bash"]}
QUICK_RUNS = 60  # a fast step ending before the watcher has run hung ~1 in 20 of these before


@pytest.fixture(params=sorted(SHELLS))
def shell(request: pytest.FixtureRequest) -> list[str]:
    argv = SHELLS[request.param]
    if shutil.which(argv[0]) is None:
        reason = f"{argv[0]} is not installed (make packages installs it)"
        if in_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return argv


@contextlib.contextmanager
def supervised(shell: list[str], *step: str) -> Iterator[subprocess.Popen[bytes]]:
    """The supervisor running ``step`` with its stdin held open, as the node task holds it."""
    proc = subprocess.Popen(
        [*shell, "-c", SUPERVISE, "supervise", *step],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # outside a container nothing reaps its group: we do
    )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


def test_a_step_that_ends_at_once_ends_the_supervisor_with_its_code_every_time(shell: list[str]) -> None:
    batch = 4  # side by side, so a step often ends before its watcher subshell has even run
    for _ in range(QUICK_RUNS // batch):
        with contextlib.ExitStack() as stack:
            step = ("sh", "-c", "echo hi; exit 3")
            procs = [stack.enter_context(supervised(shell, *step)) for _ in range(batch)]
            for proc in procs:  # their stdin stays open, as the node task's attach does
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    pytest.fail("the supervisor outlived its step (its watcher survived)", pytrace=False)
                assert proc.stdout is not None and proc.stderr is not None
                assert (proc.returncode, proc.stdout.read(), proc.stderr.read()) == (3, b"hi\n", b"")


def test_its_stdin_closing_stops_the_step(shell: list[str]) -> None:
    """The node task's worker died (a forced cancel, a lost node): the attach, and so the
    container's stdin, closed."""
    with supervised(shell, "sleep", "60") as proc:
        assert proc.stdin is not None
        proc.stdin.close()
        assert proc.wait(20) == 128 + signal.SIGTERM


def test_sigterm_reaches_the_step(shell: list[str]) -> None:
    """``ray.cancel``: the task sends the container SIGTERM (its init passes it to the supervisor)."""
    step = "trap 'echo bye; exit 7' TERM; echo ready; while :; do sleep 0.1; done"
    with supervised(shell, "sh", "-c", step) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"  # the step's trap is set
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 7
        assert proc.stdout.read() == b"bye\n"
