"""Docker errors in the designer, in words with the fix: the engine down (a DOCKER_HOST with
nothing behind it) and, on the real engine, a container network that does not exist."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

STEP = """
- step: {name: hello, image: busybox, command: echo hi}
- pipeline:
    name: p
    nodes: [{name: hello, type: execution, step: hello}]
    edges: []
"""


def test_engine_down_says_how_to_start_it_and_leaves_nothing_queued(
    qtbot, make_run_window, project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prompts
) -> None:
    dead = tmp_path / "dead.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(dead))
    sock.close()
    monkeypatch.setenv("DOCKER_HOST", f"unix://{dead}")
    ui = make_run_window(project(STEP))
    assert ui.run_pipeline(dialog=False)
    qtbot.waitUntil(lambda: bool(prompts.warnings), timeout=30_000)
    warning = prompts.warnings[-1]
    assert warning.startswith("Run failed to start: The Docker engine is not running")
    assert "systemctl start docker" in warning
    assert "--backend" not in warning  # a command-line flag: the designer has no such choice
    assert "DockerException" not in warning and "ConnectionRefusedError" not in warning
    qtbot.waitUntil(lambda: not ui.controller.busy, timeout=30_000)
    assert ui.controller.states.states() == {} and ui.badges.badges == {}  # no badge says "queued"
    assert not ui.progress.isVisible()


@pytest.mark.docker
def test_a_network_that_does_not_exist_is_named_on_the_failed_node(
    qtbot, make_run_window, project, docker_client, busybox_image: str
) -> None:
    ui = make_run_window(project(STEP), network="pd-test-no-such-network")
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=60_000) as blocker:
        assert ui.run_pipeline(dialog=False)
    assert blocker.args[0].status == "failed"
    message = ui.controller.states.state("hello").message
    assert "container network 'pd-test-no-such-network' does not exist" in message
    assert "docker network create pd-test-no-such-network" in message
    qtbot.waitUntil(lambda: "does not exist" in ui.badges.badges["hello"].toolTip(), timeout=30_000)
