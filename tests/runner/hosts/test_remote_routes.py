"""Hosts reached the way ssh reaches them: an ssh config alias through a bastion (a second sshd),
keys in a real ssh-agent, a machine with no keyring at all, and a password login."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from runner.hosts.connection import connect
from runner.hosts.errors import HostAuthError
from runner.hosts.known_hosts import KnownHosts, fetch_host_key, fingerprint
from runner.hosts.paths import CONFIG_ENV
from runner.hosts.registry import HostConfig, HostRegistry
from runner.store.paths import HOME_ENV
from tests.sshd.sshd_server import ThrowawaySshd
from tests.support.cli import cli
from tests.support.remote import MemoryKeyring, ssh_agent, write_ssh_config

pytestmark = [pytest.mark.sshd, pytest.mark.docker]

STEP = """
- step:
    name: hello
    image: {image}
    command: echo "hello from $(hostname)" > /valohai/outputs/hello.txt
"""


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _fp(server: ThrowawaySshd) -> str:
    return fingerprint(fetch_host_key("127.0.0.1", server.port))


def _bastion_config(home: Path, target: ThrowawaySshd, bastion: ThrowawaySshd, extra: str = "") -> None:
    write_ssh_config(
        home,
        f"""
        Host gpubox
            HostName 127.0.0.1
            Port {target.port}
            User {target.user}
            IdentityFile {target.key.path}
            IdentitiesOnly yes
            ProxyJump jump
            ConnectTimeout 5
        {extra}
        Host jump
            HostName 127.0.0.1
            Port {bastion.port}
            IdentityFile {bastion.key.path}
        """,
    )


def test_an_alias_behind_a_bastion_is_trusted_hop_by_hop_and_runs_a_node(
    sshd: ThrowawaySshd, bastion: ThrowawaySshd, ssh_home: Path, config_dir: Path, home: Path,
    failing_keyring: None, project: Any, busybox_image: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    _bastion_config(ssh_home, sshd, bastion)
    code, text = cli("hosts", "add", "gpubox", "ssh://gpubox")
    assert code == 0, text
    jump_fp, target_fp = _fp(bastion), _fp(sshd)

    assert cli("hosts", "trust", "gpubox", "--fingerprint", target_fp)[0] == 2  # one per hop
    assert "has 2 hop(s)" in capsys.readouterr().err
    code, text = cli("hosts", "trust", "gpubox", "--fingerprint", target_fp, "--fingerprint", jump_fp)
    assert code == 3 and jump_fp in text and "NOT trusted" in capsys.readouterr().err  # wrong order
    assert KnownHosts().lookup("127.0.0.1", bastion.port) == {}
    code, _ = cli("hosts", "test", "gpubox")
    err = capsys.readouterr().err
    assert code == 3 and f"unknown host key for [127.0.0.1]:{bastion.port}" in err and jump_fp in err, err

    monkeypatch.setattr("sys.stdin", _Tty("yes\nno\n"))  # the bastion yes, the target no
    code, text = cli("hosts", "trust", "gpubox")
    assert code == 3, text
    assert f"hop 1/2: jump host jump (127.0.0.1:{bastion.port}) offers" in text and jump_fp in text
    assert f"hop 2/2: host gpubox (127.0.0.1:{sshd.port}) offers" in text and target_fp in text
    assert "Accepted publickey" in bastion.log_text()  # reaching hop 2 needs hop 1 logged in
    assert "Accepted publickey" not in sshd.log_text(), "nothing is sent to an untrusted hop"

    monkeypatch.setattr("sys.stdin", _Tty(""))  # no terminal: the fingerprints, in hop order
    code, text = cli("hosts", "trust", "gpubox", "--fingerprint", jump_fp, "--fingerprint", target_fp)
    assert code == 0, text
    assert (
        "hop 1/2" in text
        and "already trusted" in text
        and f"trusted [127.0.0.1]:{sshd.port} {target_fp}" in text
    )

    code, text = cli("hosts", "test", "gpubox")
    assert code == 0 and "engine " in text, text
    path = project(STEP.format(image=busybox_image))
    code, text = cli(
        "run", str(path), "--step", "hello", "--host", "gpubox", "--network", "none", "--pull", "never"
    )
    assert code == 0, text
    assert bastion.log_text().count("Accepted publickey") >= 3  # trust walk, test, run: all through it
    with connect("gpubox") as conn:
        assert [h.port for h in conn.route.hops] == [bastion.port, sshd.port]
        bastion.stop()  # the route is the bastion: without it the target is gone
        deadline = time.monotonic() + 10
        while conn.alive and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not conn.alive
    code, _ = cli("hosts", "test", "gpubox")
    err = capsys.readouterr().err
    assert (
        code == 1
        and f"jump host jump (127.0.0.1:{bastion.port}) on the way to host 'gpubox' is unreachable" in err
    )


def test_keys_in_ssh_agent_are_used_and_the_keyring_is_never_opened(
    sshd: ThrowawaySshd, ssh_home: Path, config_dir: Path, home: Path, failing_keyring: None, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    locked = sshd.key_with_passphrase
    write_ssh_config(
        ssh_home,
        f"""
        Host box
            HostName 127.0.0.1
            Port {sshd.port}
            IdentityFile {locked.path}
            IdentitiesOnly yes
        """,
    )
    HostRegistry().add(HostConfig("box", "ssh://box"))
    KnownHosts().trust("127.0.0.1", sshd.port, fetch_host_key("127.0.0.1", sshd.port))
    with pytest.raises(HostAuthError) as no_agent:  # encrypted, no agent, no keyring: the fix is named
        connect("box")
    message = str(no_agent.value)
    assert "no system keyring is available" in message and "gnome-keyring" in message
    assert "keyrings.alt" in message and "ssh-agent" in message
    with ssh_agent(tmp_path, (locked.path, locked.passphrase)) as sock:
        monkeypatch.setenv("SSH_AUTH_SOCK", sock)
        code, text = cli("hosts", "test", "box")
        assert code == 0 and "engine " in text, text
    assert "Accepted publickey" in sshd.log_text()


def _cli_process(env: dict[str, str], *argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    code = "import sys; from designer.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *argv], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_no_keyring_on_the_machine_unencrypted_key_runs_end_to_end_encrypted_gets_the_fix(
    sshd: ThrowawaySshd, ssh_home: Path, config_dir: Path, home: Path, project: Any, busybox_image: str
) -> None:
    """Real processes with PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring, as on a bare server."""
    write_ssh_config(
        ssh_home,
        f"""
        Host box
            HostName 127.0.0.1
            Port {sshd.port}
            IdentityFile {sshd.key.path}
        Host locked
            HostName 127.0.0.1
            Port {sshd.port}
            IdentityFile {sshd.key_with_passphrase.path}
            IdentitiesOnly yes
        """,
    )
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring", "HOME": str(ssh_home),
           CONFIG_ENV: str(config_dir), HOME_ENV: str(home)}  # fmt: skip
    for name in ("box", "locked"):
        HostRegistry().add(HostConfig(name, f"ssh://{name}"))
    KnownHosts().trust("127.0.0.1", sshd.port, fetch_host_key("127.0.0.1", sshd.port))
    path = project(STEP.format(image=busybox_image))
    argv = ("run", str(path), "--step", "hello", "--host", "box", "--network", "none", "--pull", "never")
    done = _cli_process(env, *argv)
    assert done.returncode == 0 and "Traceback" not in done.stderr, (done.stdout, done.stderr)
    (execution,) = json.loads(cli("show", "latest", "--json")[1])["executions"]
    assert (execution["status"], execution["host"]) == ("succeeded", "box")
    assert [o["path"] for o in execution["outputs"]] == ["hello.txt"]
    locked = _cli_process(env, "hosts", "test", "locked")
    assert locked.returncode == 1 and "Traceback" not in locked.stderr, locked.stderr
    assert "needs" not in locked.stdout
    assert "cannot read the passphrase of host 'locked' from the keyring" in locked.stderr
    assert "gnome-keyring" in locked.stderr and "keyrings.alt" in locked.stderr and "ssh-add" in locked.stderr
    stored = _cli_process(env, "hosts", "secret", "locked", "passphrase", "--stdin", stdin="x\n")
    assert (
        stored.returncode == 2 and "no system keyring" in stored.stderr and "Traceback" not in stored.stderr
    )


def test_password_login_with_the_password_from_the_keyring(
    ssh_home: Path, config_dir: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ThrowawaySshd(password="sesame open") as server:
        HostRegistry().add(HostConfig("pw", server.base_url))
        KnownHosts().trust("127.0.0.1", server.port, fetch_host_key("127.0.0.1", server.port))
        with pytest.raises(HostAuthError, match=r"hosts secret pw password"):
            connect("pw")  # no key anywhere, no password stored: says how to store one
        memory_keyring.set_password("pipeline-designer", "pw:password", "wrong")
        with pytest.raises(HostAuthError, match="tried the password in the keyring"):
            connect("pw")
        monkeypatch.setattr("sys.stdin", io.StringIO("sesame open\n"))
        assert cli("hosts", "secret", "pw", "password", "--stdin")[0] == 0
        with connect("pw") as conn:
            assert conn.run(["id", "-un"]).check().text.strip() == server.user
        assert f"Accepted password for {server.user}" in server.log_text()
