"""Steps printing fast on a remote host (the test sshd in front of the local engine): their
output streams over SSH, and every record is stored and reaches the run's reader, in order, a
single step's and those of a task node's executions printing at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.printing import EMIT, emit_yaml, run_printing, stored
from tests.support.remote import RemoteHost

pytestmark = [pytest.mark.sshd, pytest.mark.docker]


def test_a_remote_step_printing_fast_has_every_record_stored(
    remote_host: RemoteHost, home: Path, project: Any, docker_client: Any, python_image: str,
    container_label: dict[str, str],
) -> None:  # fmt: skip
    lines = 50_000
    path = project(emit_yaml("python:3.12-slim", lines), **{"emit.py": EMIT})
    run_id, status, read = run_printing(path, docker_client, container_label, hosts=["box"], step="emit")
    assert status == "succeeded"
    assert stored(home, run_id) == {"emit": (lines, 0, lines - 1, 0, "0")}
    assert read == {None: lines}


def test_a_remote_task_nodes_executions_printing_at_once_have_every_record_stored(
    remote_host: RemoteHost, home: Path, project: Any, docker_client: Any, python_image: str,
    container_label: dict[str, str],
) -> None:  # fmt: skip
    lines, executions = 20_000, 3
    path = project(emit_yaml("python:3.12-slim", lines, executions), **{"emit.py": EMIT})
    run_id, status, read = run_printing(path, docker_client, container_label, hosts=["box"], pipeline="many")
    assert status == "succeeded"
    assert stored(home, run_id) == {
        f"emit#{k}": (lines, 0, lines - 1, 0, str(k)) for k in range(1, executions + 1)
    }
    assert read == {k: lines for k in range(1, executions + 1)}
