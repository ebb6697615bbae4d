"""Host keys (unknown, changed), and a host whose sshd dies mid-run."""

from __future__ import annotations

import io
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import paramiko
import pytest

from runner.events import Event, LogLine, NodeStateChanged
from runner.hosts.known_hosts import KnownHosts, fetch_host_key, fingerprint
from tests.support.cli import cli
from tests.support.remote import register_host, start_sshd, write_ssh_config

pytestmark = [pytest.mark.sshd, pytest.mark.docker]


def _yaml(project: Any, busybox_image: str) -> Path:
    return project(
        f"""
        - step:
            name: slow
            image: {busybox_image}
            environment: far
            command: echo started; sleep {{parameter-value:secs}}; echo ok > /valohai/outputs/slow.txt
            parameters: [{{name: secs, type: integer, default: 60}}]
        - step:
            name: quick
            image: {busybox_image}
            environment: near
            command: sleep 3; echo ok > /valohai/outputs/quick.txt
            inputs: [{{name: in, optional: true}}]
        - pipeline:
            name: p
            nodes:
              - {{name: slow, step: slow, type: execution, on-error: stop-next}}
              - {{name: quick, step: quick, type: execution}}
              - {{name: after, step: quick, type: execution}}
            edges:
              - [quick.output.*, after.input.in]
        """
    )


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_unknown_host_key_is_shown_and_needs_explicit_trust(
    sshd: Any, config_dir: Path, memory_keyring: Any, home: Path, capsys: pytest.CaptureFixture[str],
    project: Any, busybox_image: str, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    register_host(sshd, "box", trust=False)
    right = fingerprint(fetch_host_key("127.0.0.1", sshd.port))
    path = _yaml(project, busybox_image)
    code, _ = cli("run", str(path), "--pipeline", "p", "--host", "box", "--pull", "never")
    err = capsys.readouterr().err
    assert code == 2 and "unknown host key for [127.0.0.1]:" in err and right in err, err
    assert cli("hosts", "test", "box")[0] == 3
    assert right in capsys.readouterr().err
    code, text = cli("hosts", "trust", "box", "--fingerprint", "SHA256:not-the-key")
    assert code == 3 and right in text  # shown, but not trusted
    assert cli("hosts", "trust", "box")[0] == 3, "no terminal to confirm on: never accepted silently"
    assert KnownHosts().lookup("127.0.0.1", sshd.port) == {}
    assert "Accepted publickey" not in sshd.log_text(), "refused before authenticating"
    monkeypatch.setattr("sys.stdin", _Tty("no\n"))
    code, text = cli("hosts", "trust", "box")  # shown on a terminal, answered "no"
    assert code == 3 and right in text and "not trusted" in text
    monkeypatch.setattr("sys.stdin", _Tty("yes\n"))
    code, text = cli("hosts", "trust", "box")
    assert code == 0 and f"trusted [127.0.0.1]:{sshd.port} {right}" in text
    code, text = cli("hosts", "test", "box")
    assert code == 0 and "engine " in text, text


def test_changed_host_key_is_refused_loudly(
    sshd: Any, config_dir: Path, memory_keyring: Any, home: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], project: Any, busybox_image: str,
) -> None:  # fmt: skip
    register_host(sshd, "box", trust=False)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "old")], check=True)
    old = paramiko.Ed25519Key.from_private_key_file(str(tmp_path / "old"))
    KnownHosts().trust("127.0.0.1", sshd.port, old)  # what we trusted before "the host changed"
    before = (config_dir / "known_hosts").read_text()
    right = fingerprint(fetch_host_key("127.0.0.1", sshd.port))
    code, _ = cli("run", str(_yaml(project, busybox_image)), "--pipeline", "p", "--host", "box")
    err = capsys.readouterr().err
    assert code == 2 and "HOST KEY CHANGED" in err and fingerprint(old) in err and right in err, err
    code, _ = cli("hosts", "trust", "box", "--fingerprint", right)  # not without --replace
    assert code == 3 and "HOST KEY CHANGED" in capsys.readouterr().err
    assert (config_dir / "known_hosts").read_text() == before
    assert "Accepted publickey" not in sshd.log_text()
    code, text = cli("hosts", "trust", "box", "--fingerprint", right, "--replace")
    assert code == 0, text
    assert cli("hosts", "test", "box")[0] == 0


def test_sshd_killed_mid_run_fails_that_node_and_the_rest_goes_on(
    sshd: Any, config_dir: Path, memory_keyring: Any, home: Path, project: Any, busybox_image: str,
    docker_client: Any,
) -> None:  # fmt: skip
    from runner.api import RunOptions, plan_run, start_run

    near = start_sshd()
    try:
        register_host(sshd, "far", environments=("far",))
        register_host(near, "near", passphrase=False, environments=("near",))
        path = _yaml(project, busybox_image)
        started = threading.Event()
        events: list[Event] = []

        def on_event(event: Event) -> None:
            events.append(event)
            if isinstance(event, LogLine) and event.node == "slow" and event.text == "started":
                started.set()

        handle = start_run(
            plan_run(path, pipeline="p"), RunOptions(), network="none", pull="never",
            hosts=["far", "near"], on_event=on_event,
        )  # fmt: skip
        assert started.wait(60), "the slow node never started"
        sshd.stop()  # the whole sshd process group: listener and connections
        t0 = time.monotonic()
        status = handle.wait(60)
        if status is None:
            handle.cancel()
            handle.wait(30)
        assert status == "failed", "\n".join(map(repr, events))
        finals = {e.node: e for e in events if isinstance(e, NodeStateChanged) and e.status != "running"}
        assert {n: finals[n].status for n in ("slow", "quick", "after")} == {
            "slow": "failed", "quick": "succeeded", "after": "succeeded"
        }  # fmt: skip
        message = finals["slow"].message
        assert "host 'far'" in message and "while the step was running" in message, message
        assert time.monotonic() - t0 < 30
        # The container goes on running on the host; the next connect finds it by label.
        label = f"pipeline-designer.run-id={handle.run_id}"
        assert [c.name for c in docker_client.containers.list(all=True, filters={"label": label})] == [
            f"vh-{handle.run_id}-slow"
        ]
        sshd.restart()
        code, text = cli("hosts", "test", "far")
        assert code == 0 and "removed 1 leftover container(s)" in text, text
        assert docker_client.containers.list(all=True, filters={"label": label}) == []
        # Retried: the failed node runs again (shorter), the others are reused.
        code, text = cli("run", str(path), "--pipeline", "p", "--host", "far,near", "--network", "none",
                         "--pull", "never", "--param", "slow.secs=1")  # fmt: skip
        assert code == 0 and text.count("reused") >= 2, text
    finally:
        near.__exit__(None, None, None)


def test_a_host_that_hangs_without_closing_the_connection_fails_the_node(
    sshd: Any, config_dir: Path, memory_keyring: Any, home: Path, project: Any, busybox_image: str,
    ssh_home: Path,
) -> None:  # fmt: skip
    """The keep-alive of the user's ssh config decides how soon a silent host counts as gone."""
    from runner.api import RunOptions, plan_run, start_run

    write_ssh_config(
        ssh_home, "Host *\n  ServerAliveInterval 1\n  ServerAliveCountMax 3\n  ConnectTimeout 3\n"
    )
    register_host(sshd, "far", environments=("far",))
    started = threading.Event()
    events: list[Event] = []

    def on_event(event: Event) -> None:
        events.append(event)
        if isinstance(event, LogLine) and event.text == "started":
            started.set()

    handle = start_run(
        plan_run(_yaml(project, busybox_image), step="slow"), RunOptions(), network="none", pull="never",
        hosts=["far"], on_event=on_event,
    )  # fmt: skip
    try:
        assert started.wait(60)
        sshd.freeze()  # TCP stays open, nothing answers
        t0 = time.monotonic()
        status = handle.wait(40)
        assert status == "failed", "\n".join(map(repr, events))
        # 1 s interval + 2 s unanswered, then one reconnect within ConnectTimeout 3 s: ~6 s (slack
        # for a loaded CI machine)
        assert time.monotonic() - t0 < 15
        (final,) = [e for e in events if isinstance(e, NodeStateChanged) and e.status == "failed"]
        assert "host 'far'" in final.message and "while the step was running" in final.message, final.message
    finally:
        sshd.freeze(False)
        sshd.stop()
        sshd.restart()
        assert cli("hosts", "test", "far")[0] == 0  # and its container is removed
