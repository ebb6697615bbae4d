"""The Run dialog remembers the last choice and tells where a pipeline parameter goes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialogButtonBox

pytestmark = pytest.mark.gui


def test_run_dialog_remembers_the_last_choice(qtbot, tmp_path: Path) -> None:
    from designer.run.run_dialog import RunDialog, parse_value

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    dialog = RunDialog("train", [("lr", 0.1), ("name", "x")], settings)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.edits["lr"], "0.5")
    dialog.reuse.setChecked(False)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.params() == {"lr": 0.5}
    again = RunDialog("train", [("lr", 0.1), ("name", "x")], settings)
    qtbot.addWidget(again)
    assert again.edits["lr"].text() == "0.5" and again.edits["name"].text() == ""
    assert not again.reuse.isChecked() and again.target.currentText() == "local"
    assert (
        parse_value("true") is True
        and parse_value("[1, 2]") == [1, 2]
        and parse_value("a: b: c") == "a: b: c"
    )


def test_run_dialog_tells_where_a_pipeline_parameter_goes(qtbot, tmp_path: Path) -> None:
    from valohai_yaml.objs.pipelines.pipeline_parameter import PipelineParameter

    from designer.run.run_commands import parameter_note
    from designer.run.run_dialog import RunDialog

    param = PipelineParameter(
        name="lr", targets=["train.parameter.learning_rate", "eval.parameter.lr"], description="Step size"
    )
    note = parameter_note(param)
    assert note.splitlines()[:2] == ["Step size", "Sets train.parameter.learning_rate, eval.parameter.lr"]
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    dialog = RunDialog("train", [("lr", 0.1)], settings, notes={"lr": note})
    qtbot.addWidget(dialog)
    assert dialog.edits["lr"].toolTip() == note
