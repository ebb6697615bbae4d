"""The Hosts dialog and the Run dialog's target, offscreen with real widgets (no sshd needed)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

from runner.hosts import service
from runner.hosts.registry import HostConfig

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("ssh_home")]
SECRET = "s3cret-Passphrase-917"


def _fill_form(dialog: Any, qtbot: Any, **values: Any) -> Any:
    form = dialog.form
    assert form is not None and form.isVisible()
    for field in ("name", "url", "identity", "secret"):
        if field in values:
            widget = getattr(form, field)
            widget.clear()
            qtbot.keyClicks(widget, values[field])
    for field in ("gpus", "max_parallel"):
        if field in values:
            getattr(form, field).setValue(values[field])
    form.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    return form


def _files_containing(root: Path, text: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_add_host_through_the_form_keeps_the_secret_in_the_keyring_only(
    hosts_dialog: Any, qtbot: Any, config_dir: Path, memory_keyring: Any, tmp_path: Path
) -> None:
    key = tmp_path / "id_ed25519"
    key.write_text("not read by the dialog")
    hosts_dialog.add_button.click()
    assert hosts_dialog.form.secret.echoMode() == QLineEdit.EchoMode.Password
    form = _fill_form(
        hosts_dialog, qtbot, name="gpu1", url="ssh://me@10.0.0.5:2222", identity=str(key),
        gpus=2, max_parallel=3, secret=SECRET,
    )  # fmt: skip
    assert not form.isVisible() and form.secret.text() == ""
    assert service.list_hosts() == [HostConfig("gpu1", "ssh://me@10.0.0.5:2222", str(key), 2, 3)]
    assert memory_keyring.items == {("pipeline-designer", "gpu1:passphrase"): SECRET}
    assert (config_dir / "hosts.json").is_file()
    assert _files_containing(config_dir, SECRET) == []
    table = hosts_dialog.table
    assert [table.item(0, c).text() for c in range(4)] == ["gpu1", "ssh://me@10.0.0.5:2222", "2", "3"]
    assert hosts_dialog.selected() == "gpu1"


def test_without_identity_the_secret_is_the_password(
    hosts_dialog: Any, qtbot: Any, memory_keyring: Any
) -> None:
    hosts_dialog.add_button.click()
    _fill_form(hosts_dialog, qtbot, name="pw", url="ssh://me@example-gpu", secret="pw-123")
    assert memory_keyring.items == {("pipeline-designer", "pw:password"): "pw-123"}


def test_an_invalid_url_keeps_the_form_open_with_the_reason(hosts_dialog: Any, qtbot: Any) -> None:
    hosts_dialog.add_button.click()
    form = _fill_form(hosts_dialog, qtbot, name="bad", url="http://host", secret="x")
    assert form.isVisible() and "ssh://" in form.error.text()
    assert service.list_hosts() == []
    form.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert not form.isVisible() and service.list_hosts() == []
    assert form.secret.text() == ""  # a cancelled secret is not kept in the hidden form


def test_edit_keeps_the_secret_when_left_empty_and_remove_deletes_it(
    hosts_dialog: Any, qtbot: Any, memory_keyring: Any
) -> None:
    hosts_dialog.add_button.click()
    _fill_form(hosts_dialog, qtbot, name="gpu1", url="ssh://me@h1", secret=SECRET)
    assert hosts_dialog.edit_button.isEnabled()
    hosts_dialog.edit_button.click()
    assert hosts_dialog.form.name.isReadOnly() and hosts_dialog.form.url.text() == "ssh://me@h1"
    _fill_form(hosts_dialog, qtbot, gpus=4, max_parallel=8)
    assert service.list_hosts() == [HostConfig("gpu1", "ssh://me@h1", None, 4, 8)]
    assert memory_keyring.items == {("pipeline-designer", "gpu1:password"): SECRET}
    asked: list[str] = []
    hosts_dialog.ask = lambda title, text: asked.append(text) or False
    hosts_dialog.remove_button.click()
    assert asked and service.list_hosts() != []  # declined: nothing removed
    hosts_dialog.ask = lambda title, text: True
    hosts_dialog.remove_button.click()
    assert service.list_hosts() == [] and memory_keyring.items == {}
    assert hosts_dialog.table.rowCount() == 0 and not hosts_dialog.remove_button.isEnabled()


def test_an_unreachable_host_is_reported_in_plain_words_off_the_ui_thread(
    hosts_dialog: Any, qtbot: Any
) -> None:
    service.add_host(HostConfig("dead", "ssh://me@127.0.0.1:1"))
    hosts_dialog.refresh()
    hosts_dialog.select("dead")
    with qtbot.waitSignal(hosts_dialog.test_finished, timeout=15_000) as blocker:
        hosts_dialog.test_button.click()
        assert hosts_dialog._working and not hosts_dialog.busy.isHidden()  # busy while it works
        assert not hosts_dialog.test_button.isEnabled()
    assert blocker.args == ["dead", False]
    assert "unreachable" in hosts_dialog.output.toPlainText() and "dead" in hosts_dialog.output.toPlainText()
    assert hosts_dialog.table.item(0, 4).text() == "failed" and hosts_dialog.busy.isHidden()


def test_run_dialog_offers_local_a_host_or_a_pool_and_remembers_it(qtbot: Any, tmp_path: Path) -> None:
    from designer.run.run_dialog import POOL, RunDialog

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    dialog = RunDialog("p", [], settings, hosts=["gpu1", "gpu2"])
    qtbot.addWidget(dialog)
    items = [dialog.target.itemText(i) for i in range(dialog.target.count())]
    assert items == ["local", "gpu1", "gpu2", POOL]
    assert dialog.chosen_hosts() == ["local"] and dialog.pool.isHidden()
    dialog.target.setCurrentText("gpu2")
    dialog.accept()
    assert settings.value("run/target") == "gpu2"
    again = RunDialog("p", [], settings, hosts=["gpu1", "gpu2"])
    qtbot.addWidget(again)
    assert again.chosen_hosts() == ["gpu2"]
    again.target.setCurrentText(POOL)
    assert not again.pool.isHidden()
    for i in range(again.pool.count()):
        item = again.pool.item(i)
        item.setCheckState(Qt.CheckState.Checked if item.text() != "gpu2" else Qt.CheckState.Unchecked)
    again.accept()
    assert settings.value("run/target") == "local,gpu1"
    # A host removed from the registry since is not offered any more.
    third = RunDialog("p", [], settings, hosts=["gpu1"])
    qtbot.addWidget(third)
    assert third.target.currentText() == POOL and third.chosen_hosts() == ["local", "gpu1"]
    settings.setValue("run/target", "gpu2")
    fourth = RunDialog("p", [], settings, hosts=[])
    qtbot.addWidget(fourth)
    assert fourth.target.count() == 1 and fourth.chosen_hosts() == ["local"]


def test_run_dialog_lists_the_registry_and_the_target_reaches_the_runner(
    make_run_window: Any, qtbot: Any, tmp_path: Path, config_dir: Path, memory_keyring: Any
) -> None:
    """The chosen host reaches runner.api.start_run(hosts=…): it connects to it (unreachable here)."""
    from designer.run.run_dialog import RunDialog

    service.add_host(HostConfig("dead", "ssh://me@127.0.0.1:1"))
    root = tmp_path / "project"
    root.mkdir()
    (root / "valohai.yaml").write_text(
        textwrap.dedent("""\
        - step:
            name: hello
            image: busybox
            command: echo hi
        - pipeline:
            name: p
            nodes:
              - name: hello
                type: execution
                step: hello
            edges: []
        """)
    )
    ui = make_run_window(root / "valohai.yaml")
    dialog = RunDialog("p", [], ui.window.settings)
    qtbot.addWidget(dialog)
    assert dialog.hosts == ["dead"]
    dialog.target.setCurrentText("dead")
    dialog.accept()
    assert ui.target_hosts() == ["dead"]
    with qtbot.waitSignal(ui.controller.busy_changed, timeout=20_000, check_params_cb=lambda b: not b):
        assert ui.run_pipeline(dialog=False)
    assert len(ui.warnings) == 1
    assert "Run failed to start" in ui.warnings[0] and "dead" in ui.warnings[0]
    assert "127.0.0.1:1" in ui.warnings[0] or "unreachable" in ui.warnings[0]


def test_run_menu_opens_the_hosts_dialog(make_run_window: Any, qtbot: Any, memory_keyring: Any) -> None:
    from designer.run.hosts_dialog import HostsDialog

    ui = make_run_window()
    assert ui.hosts_action in ui.menu.actions() and ui.hosts_action.text() == "&Hosts…"
    ui.hosts_action.trigger()
    assert isinstance(ui.hosts_dialog, HostsDialog) and ui.hosts_dialog.isVisible()
    ui.hosts_dialog.close()
