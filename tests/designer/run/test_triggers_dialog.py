"""Run ▸ Triggers…: the dialog on real widgets (offscreen), the sidecar on disk, the CLI round trip."""

from __future__ import annotations

import argparse
import io
import json
import shlex
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from designer.document.commands import MoveNodes
from designer.run.triggers_dialog import TriggersDialog, open_triggers_dialog
from runner.cli import watch_cmd
from runner.config.sidecar import sidecar_path
from runner.triggers import Trigger, load_triggers, save_trigger

pytestmark = pytest.mark.gui

YAML = """\
- step: {name: prep, image: busybox, command: "true"}
- step: {name: fit, image: busybox, command: "true"}
- pipeline:
    name: train
    nodes:
      - {name: prep, step: prep, type: execution}
      - {name: fit, step: fit, type: execution}
    edges: []
- pipeline:
    name: report
    nodes: [{name: prep, step: prep, type: execution}]
    edges: []
"""


@pytest.fixture
def yaml_path(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "data" / "train.csv").write_text("a\n")
    path = root / "valohai.yaml"
    path.write_text(YAML)
    return path


@pytest.fixture
def dialog(qtbot: Any, yaml_path: Path) -> TriggersDialog:
    made = TriggersDialog(yaml_path, ["train", "report"], "train")
    qtbot.addWidget(made)
    made.show()
    qtbot.waitExposed(made)
    return made


def _watch_cli(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    watch_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["watch", *argv])
    out = io.StringIO()
    return args.func(args, out), out.getvalue()


def _submit(dialog: TriggersDialog, qtbot: Any, **fields: str) -> Any:
    form = dialog.form
    assert form is not None and form.isVisible()
    if "name" in fields:
        form.name.clear()
        qtbot.keyClicks(form.name, fields["name"])
    if "kind" in fields:
        form.kind.setCurrentIndex(form.kind.findData(fields["kind"]))
    for key in ("every", "cron"):
        if key in fields:
            getattr(form, key).clear()
            qtbot.keyClicks(getattr(form, key), fields[key])
    for key in ("paths", "params"):
        if key in fields:
            getattr(form, key).setPlainText(fields[key])
    if "pipeline" in fields:
        form.pipeline.setCurrentText(fields["pipeline"])
    form.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    return form


def test_add_edit_remove_through_the_dialog(dialog: TriggersDialog, qtbot: Any, yaml_path: Path) -> None:
    qtbot.mouseClick(dialog.add_button, _left())
    form = _submit(dialog, qtbot, name="on-data", kind="on_change", paths="data\n", params="fit.epochs=3")
    assert not form.isVisible()
    assert dialog.names() == ["on-data"]
    saved = json.loads(sidecar_path(yaml_path).read_text())["triggers"]
    assert saved == {"on-data": {"pipeline": "train", "on_change": ["data/"], "params": {"fit.epochs": "3"}}}
    row = [dialog.table.item(0, c).text() for c in range(5)]
    assert row == ["on-data", "train", "on change of data/", "fit.epochs=3", "on the next change"]

    dialog.select("on-data")
    dialog.edit_button.click()
    assert dialog.form is not None and dialog.form.paths.toPlainText() == "data/"
    _submit(dialog, qtbot, name="nightly", kind="cron", cron="0 3 * * *", pipeline="report")
    assert dialog.names() == ["nightly"]  # renamed, not copied
    triggers, _ = load_triggers(yaml_path)
    assert triggers["nightly"] == Trigger(
        "nightly", "report", "cron", cron="0 3 * * *", params={"fit.epochs": "3"}
    )
    assert dialog.table.item(0, 4).text().endswith(time.strftime(" 03:00 %Z"))  # next fire, local time

    dialog.select("nightly")
    dialog.ask = lambda title, text: False
    dialog.remove_button.click()
    assert dialog.names() == ["nightly"]
    dialog.ask = lambda title, text: True
    dialog.remove_button.click()
    assert dialog.names() == [] and load_triggers(yaml_path)[0] == {}


def test_the_form_keeps_bad_input_open_with_the_reason(
    dialog: TriggersDialog, qtbot: Any, yaml_path: Path
) -> None:
    save_trigger(yaml_path, Trigger("hourly", "train", "every", every="1h"))
    dialog.refresh()
    dialog.add_button.click()
    form = _submit(dialog, qtbot, name="x", kind="cron", cron="0 25 * * *")
    assert form.isVisible() and "Bad hour" in form.error.text()
    form = _submit(dialog, qtbot, name="x", kind="every", every="soon")
    assert form.isVisible() and "not a duration" in form.error.text()
    form = _submit(dialog, qtbot, name="hourly", every="2h")
    assert form.isVisible() and "already exists" in form.error.text()
    form = _submit(dialog, qtbot, name="x", kind="on_change", paths="")
    assert form.isVisible() and "needs at least one path" in form.error.text()
    form = _submit(dialog, qtbot, name="every-2h", kind="every", every="2h")
    assert not form.isVisible() and dialog.names() == ["every-2h", "hourly"]


def test_copy_command_puts_the_exact_watch_command_on_the_clipboard(
    dialog: TriggersDialog, yaml_path: Path
) -> None:
    save_trigger(
        yaml_path, Trigger("quoted", "train", "on_change", paths=("data/",), params={"fit.msg": "it's a b"})
    )
    dialog.refresh()
    assert not dialog.copy_button.isEnabled()
    dialog.select("quoted")
    dialog.copy_button.click()
    text = QGuiApplication.clipboard().text()
    assert shlex.split(text) == [
        "pipeline-designer", "watch", str(yaml_path), "--pipeline", "train",
        "--on-change", str(yaml_path.parent / "data"), "--param", "fit.msg=it's a b",
    ]  # fmt: skip
    assert "Copied:" in dialog.message.text()


def test_triggers_round_trip_between_the_cli_and_the_dialog(
    dialog: TriggersDialog, qtbot: Any, yaml_path: Path
) -> None:
    code, _ = _watch_cli(str(yaml_path), "-p", "train", "--every", "30m", "--save", "from-cli")
    assert code == 0
    dialog.refresh()
    assert dialog.names() == ["from-cli"] and dialog.table.item(0, 2).text() == "every 30m"
    dialog.add_button.click()
    _submit(dialog, qtbot, name="from-dialog", kind="cron", cron="15 2 * * 1")
    code, text = _watch_cli(str(yaml_path), "--list")
    assert code == 0
    assert "from-dialog  pipeline train: cron 15 2 * * 1 (At 02:15 on Monday)" in text
    assert "from-cli     pipeline train: every 30m" in text


def test_a_pipeline_that_no_longer_exists_is_marked(dialog: TriggersDialog, yaml_path: Path) -> None:
    sidecar_path(yaml_path).write_text(
        json.dumps(
            {"triggers": {"old": {"pipeline": "gone", "every": "1h"}, "broken": {"pipeline": "train"}}}
        )
    )
    dialog.refresh()
    assert dialog.names() == ["old"] and dialog.table.item(0, 1).text() == "gone (missing)"
    assert dialog.message.isVisible() and "Skipped: trigger 'broken'" in dialog.message.text()


def test_positions_survive_triggers_and_triggers_survive_saving_the_document(
    make_run_window: Any, yaml_path: Path, qtbot: Any
) -> None:
    ui = make_run_window(yaml_path)
    window = ui.window
    doc = window.document
    old = doc.positions("train")["fit"]
    doc.undo_stack.push(MoveNodes(doc, "train", {"fit": (old, (321.0, 654.0))}))
    doc.save()  # positions on disk
    dialog = open_triggers_dialog(window, doc.path, window.current_pipeline)
    assert dialog is not None and dialog.pipelines == ["train", "report"]
    dialog.add_button.click()
    _submit(dialog, qtbot, name="nightly", kind="cron", cron="0 3 * * *")
    on_disk = json.loads(sidecar_path(yaml_path).read_text())
    assert on_disk["pipelines"]["train"]["nodes"]["fit"] == [321.0, 654.0]
    assert list(on_disk["triggers"]) == ["nightly"]
    # the designer keeps its layout in memory and saves it again: the trigger stays
    doc.undo_stack.push(MoveNodes(doc, "train", {"fit": ((321.0, 654.0), (10.0, 20.0))}))
    doc.save()
    on_disk = json.loads(sidecar_path(yaml_path).read_text())
    assert on_disk["pipelines"]["train"]["nodes"]["fit"] == [10.0, 20.0]
    assert on_disk["triggers"] == {"nightly": {"pipeline": "train", "cron": "0 3 * * *"}}
    assert open_triggers_dialog(window, doc.path, "train") is dialog  # one per window


def test_an_unsaved_file_asks_to_save_first(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QWidget

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: shown.append(text))
    parent = QWidget()
    qtbot.addWidget(parent)
    assert open_triggers_dialog(parent, None, None) is None
    assert shown == ["Save the file first: triggers are kept next to it."]


def _left() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_run_menu_triggers_opens_the_files_saved_triggers(make_run_window: Any, yaml_path: Path) -> None:
    save_trigger(yaml_path, Trigger(name="nightly", pipeline="train", kind="cron", cron="0 3 * * *"))
    ui = make_run_window(yaml_path)
    menu_actions = [a.text() for a in ui.menu.actions()]
    assert "&Triggers…" in menu_actions
    ui.triggers_action.trigger()
    dialog = ui.window._triggers_dialog
    assert dialog.isVisible() and dialog.yaml_path == yaml_path
    assert list(dialog.triggers) == ["nightly"] and dialog.table.rowCount() == 1
