"""Host keys through the Hosts dialog, against the throwaway sshd on 127.0.0.1 (tests/sshd).

An unknown key is shown with its type and fingerprint and is stored only after "Trust"; a
changed key is refused with no way to accept it from the dialog.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from runner.hosts import service
from runner.hosts.known_hosts import KnownHosts, fetch_host_key, fingerprint
from runner.hosts.registry import HostConfig

pytestmark = [pytest.mark.gui, pytest.mark.sshd]


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
    box.buttons()[0].click()
    assert _trusted(sshd) == [fingerprint(old)]  # the new key was not stored
    assert hosts_dialog.table.item(0, 4).text() == "KEY CHANGED"
