"""Host keys through the Hosts dialog, against the throwaway sshd on 127.0.0.1 (tests/sshd).

An unknown key is shown with its type and fingerprint and is stored only after "Trust"; a
changed key is refused with no way to accept it from the dialog.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from runner.hosts import service
from runner.hosts.known_hosts import KnownHosts, fetch_host_key, fingerprint
from runner.hosts.registry import HostConfig

pytestmark = [pytest.mark.gui, pytest.mark.sshd, pytest.mark.usefixtures("ssh_home")]


def _register(sshd: Any, dialog: Any) -> None:
    key = sshd.key_with_passphrase
    service.add_host(HostConfig("box", sshd.base_url, identity=str(key.path)))
    service.store_secret("box", "passphrase", key.passphrase)
    dialog.refresh()
    dialog.select("box")


def _trusted(sshd: Any) -> list[str]:
    return [fingerprint(k) for k in KnownHosts().lookup("127.0.0.1", sshd.port).values()]


def _wait_key_box(dialog: Any, qtbot: Any) -> QMessageBox:
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.key_box is not None and dialog.key_box.isVisible(), timeout=15_000)
    return dialog.key_box


@pytest.mark.docker
def test_unknown_key_shows_its_fingerprint_and_trust_stores_it(
    hosts_dialog: Any, qtbot: Any, sshd: Any, home: Path, docker_client: Any
) -> None:
    _register(sshd, hosts_dialog)
    expected = fetch_host_key("127.0.0.1", sshd.port)
    box = _wait_key_box(hosts_dialog, qtbot)
    assert fingerprint(expected) in box.text() and expected.get_name() in box.text()
    assert _trusted(sshd) == []  # nothing stored before the user answers
    assert not hosts_dialog.test_button.isEnabled()  # one question at a time
    with qtbot.waitSignal(hosts_dialog.test_finished, timeout=60_000) as blocker:
        box.trust_button.click()
    assert _trusted(sshd) == [fingerprint(expected)]
    assert blocker.args == ["box", True], hosts_dialog.output.toPlainText()
    version = docker_client.version()["Version"]
    assert f"Docker engine {version}" in hosts_dialog.output.toPlainText()
    assert hosts_dialog.table.item(0, 4).text().startswith(f"ok: Docker {version}")


def test_cancel_on_an_unknown_key_trusts_nothing(hosts_dialog: Any, qtbot: Any, sshd: Any) -> None:
    _register(sshd, hosts_dialog)
    box = _wait_key_box(hosts_dialog, qtbot)
    with qtbot.waitSignal(hosts_dialog.test_finished, timeout=5_000) as blocker:
        box.button(QMessageBox.StandardButton.Cancel).click()
    assert blocker.args == ["box", False] and _trusted(sshd) == []
    assert "not trusted" in hosts_dialog.output.toPlainText()


def test_a_changed_key_is_refused_without_a_way_to_accept_it(
    hosts_dialog: Any, qtbot: Any, sshd: Any
) -> None:
    _register(sshd, hosts_dialog)
    old = fetch_host_key("127.0.0.1", sshd.port)
    KnownHosts().trust("127.0.0.1", sshd.port, old)
    # The host is re-keyed (or someone is in between).
    sshd.stop()
    sshd.host_key_path.unlink()
    sshd.host_key_path.with_suffix(".pub").unlink()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(sshd.host_key_path)], check=True)
    sshd.restart()
    new = fetch_host_key("127.0.0.1", sshd.port)
    with qtbot.waitSignal(hosts_dialog.test_finished, timeout=15_000) as blocker:
        box = _wait_key_box(hosts_dialog, qtbot)
    assert blocker.args == ["box", False]
    assert box.icon() == QMessageBox.Icon.Critical and "HOST KEY CHANGED" in box.windowTitle()
    assert fingerprint(new) in box.text() and fingerprint(old) in box.text()
    assert [b.text() for b in box.buttons()] == ["&Close"] or len(box.buttons()) == 1
    assert not hasattr(box, "trust_button")
    assert not hosts_dialog.test_button.isEnabled()
    box.buttons()[0].click()
    assert hosts_dialog.key_box is None and hosts_dialog.test_button.isEnabled()
    assert _trusted(sshd) == [fingerprint(old)]  # the new key was not stored
    assert hosts_dialog.table.item(0, 4).text() == "KEY CHANGED"


@pytest.mark.docker
def test_a_pipeline_runs_from_the_designer_on_the_remote_host(
    make_run_window: Any,
    qtbot: Any,
    sshd: Any,
    tmp_path: Path,
    home: Path,
    config_dir: Path,
    memory_keyring: Any,
    busybox_image: str,
    docker_client: Any,
) -> None:
    """Run dialog target "box" -> start_run(hosts=["box"]) -> the node runs over the sshd."""
    from designer.run.run_dialog import RunDialog

    key = sshd.key_with_passphrase
    service.add_host(HostConfig("box", sshd.base_url, identity=str(key.path)))
    service.store_secret("box", "passphrase", key.passphrase)
    KnownHosts().trust("127.0.0.1", sshd.port, fetch_host_key("127.0.0.1", sshd.port))
    root = tmp_path / "project"
    root.mkdir()
    (root / "valohai.yaml").write_text(
        "- step:\n    name: hello\n    image: busybox\n"
        "    command: echo hello-from-remote > /valohai/outputs/hello.txt\n"
        "- pipeline:\n    name: p\n    nodes:\n      - name: hello\n        type: execution\n"
        "        step: hello\n    edges: []\n"
    )
    ui = make_run_window(root / "valohai.yaml")
    ui.image_map = {"busybox": busybox_image}
    dialog = RunDialog("p", [], ui.window.settings)
    qtbot.addWidget(dialog)
    dialog.target.setCurrentText("box")
    dialog.accept()
    with qtbot.waitSignal(ui.controller.events.run_finished, timeout=120_000) as blocker:
        assert ui.run_pipeline(dialog=False)
    assert ui.warnings == []
    finished = blocker.args[0]
    assert finished.status == "succeeded", ui.history.executions(finished.run_id)
    execution = ui.history.execution(finished.run_id, "hello")
    assert execution is not None and execution["host"] == "box"
    assert [o["path"] for o in ui.history.outputs(execution["id"])] == ["hello.txt"]
    assert "Accepted publickey" in sshd.log_text()
    written = [
        p
        for d in (config_dir, home, tmp_path / "settings.ini")
        for p in (d.rglob("*") if d.is_dir() else [d])
    ]
    assert not [p for p in written if p.is_file() and key.passphrase.encode() in p.read_bytes()]


@pytest.mark.docker
def test_a_missing_passphrase_is_explained_and_entering_it_through_edit_fixes_it(
    hosts_dialog: Any, qtbot: Any, sshd: Any, home: Path, memory_keyring: Any, docker_client: Any
) -> None:
    key = sshd.key_with_passphrase
    service.add_host(HostConfig("box", sshd.base_url, identity=str(key.path)))
    KnownHosts().trust("127.0.0.1", sshd.port, fetch_host_key("127.0.0.1", sshd.port))
    hosts_dialog.refresh()
    hosts_dialog.select("box")
    with qtbot.waitSignal(hosts_dialog.test_finished, timeout=30_000) as blocker:
        hosts_dialog.test_button.click()
    assert blocker.args == ["box", False]
    text = hosts_dialog.output.toPlainText()
    assert "needs a passphrase" in text and "Edit the host" in text
    hosts_dialog.edit_button.click()
    form = hosts_dialog.form
    qtbot.keyClicks(form.secret, key.passphrase)
    form.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert memory_keyring.items == {("pipeline-designer", "box:passphrase"): key.passphrase}
    with qtbot.waitSignal(hosts_dialog.test_finished, timeout=60_000) as blocker:
        hosts_dialog.test_button.click()
    assert blocker.args == ["box", True], hosts_dialog.output.toPlainText()
    assert key.passphrase not in hosts_dialog.output.toPlainText()


@pytest.mark.docker
def test_behind_a_bastion_each_hop_key_is_asked_in_turn_then_the_gpus_are_offered(
    hosts_dialog: Any, qtbot: Any, sshd: Any, ssh_home: Path, tmp_path: Path, memory_keyring: Any
) -> None:
    from tests.sshd.sshd_server import ThrowawaySshd
    from tests.support.nvidia_smi import fake_nvidia_smi
    from tests.support.remote import write_ssh_config

    with ThrowawaySshd(path_first=fake_nvidia_smi(tmp_path / "bin")) as target:
        write_ssh_config(
            ssh_home,
            f"""
            Host gpubox
                HostName 127.0.0.1
                Port {target.port}
                IdentityFile {target.key.path}
                ProxyJump 127.0.0.1:{sshd.port}
            Host 127.0.0.1
                IdentityFile {sshd.key.path}
            """,
        )
        hosts_dialog.add_button.click()
        form = hosts_dialog.form
        qtbot.keyClicks(form.name, "gpubox")
        qtbot.keyClicks(form.url, "ssh://gpubox")
        assert form.route.text() == f"→ {target.user}@127.0.0.1:{target.port} via 127.0.0.1:{sshd.port}"
        form.gpus.setValue(4)
        form.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        hosts_dialog.select("gpubox")

        jump = _wait_key_box(hosts_dialog, qtbot)
        assert "Jump host 127.0.0.1:" in jump.text() and "hop 1 of 2 on the way to gpubox" in jump.text()
        assert fingerprint(fetch_host_key("127.0.0.1", sshd.port)) in jump.text()
        jump.trust_button.click()
        qtbot.waitUntil(lambda: hosts_dialog.key_box not in (None, jump), timeout=15_000)
        own = hosts_dialog.key_box
        assert "The host gpubox (hop 2 of 2)" in own.text()
        assert fingerprint(fetch_host_key("127.0.0.1", target.port)) in own.text()
        with qtbot.waitSignal(hosts_dialog.test_finished, timeout=60_000) as blocker:
            own.trust_button.click()
        text = hosts_dialog.output.toPlainText()
        assert blocker.args == ["gpubox", True], text
        assert f"via 127.0.0.1:{sshd.port}" in text and "GPUs (2, from nvidia-smi):" in text
        assert "1: NVIDIA H100 80GB HBM3, 81559 MiB (40960 MiB used, 97% busy, 2 process(es))" in text
        assert "Warning: declared 4 GPU(s) but the host has 2" in text
        assert hosts_dialog.gpus_button.isEnabled()
        hosts_dialog.gpus_button.click()
        assert service.list_hosts()[0].gpus == 2 and hosts_dialog.table.item(0, 2).text() == "2"
        assert "Runs now use the 2 GPU(s) of gpubox." in hosts_dialog.output.toPlainText()
        assert not hosts_dialog.gpus_button.isEnabled()  # the set matches now
