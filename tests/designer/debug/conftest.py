"""A real run with a failed Python node, for the debug views (terminal, failure view)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from tests.support.yaml_texts import ROWS_PIPELINE

PIPELINE = (
    """\
- step:
    name: prepare
    image: python:3.12-slim
    command: python3 prepare.py
- step:
    name: train
    image: python:3.12-slim
    command: python3 train.py {parameters}
    parameters:
      - {name: epochs, type: integer, default: 3}
    inputs:
      - {name: rows}
"""
    + ROWS_PIPELINE
)
PREPARE = 'open("/valohai/outputs/rows.csv", "w").write("a,b\\n1,2\\n")\n'
TRAIN = """\
import json
from model import fit


def main():
    rows = open("/valohai/inputs/rows/rows.csv").read().splitlines()
    print(json.dumps({"rows": len(rows)}))
    fit(rows, width=3)


main()
"""
MODEL = """\
def fit(rows, width):
    widths = [len(r.split(",")) for r in rows]
    if widths[0] != width:
        raise ValueError(f"rows have {widths[0]} columns, the model wants {width}:\\n  header {rows[0]!r}")
"""


@dataclass
class FailedRun:
    home: Path
    project: Path
    run_id: str


@pytest.fixture
def failing_project(tmp_path: Path) -> Path:
    """prep writes rows.csv; train reads it and fails in model.py (a ValueError over two lines)."""
    project = tmp_path / "project"
    project.mkdir()
    for name, text in (("prepare.py", PREPARE), ("train.py", TRAIN), ("model.py", MODEL)):
        (project / name).write_text(text)
    (project / "valohai.yaml").write_text(textwrap.dedent(PIPELINE))
    return project


@pytest.fixture
def failed_run(
    home: Path, failing_project: Path, docker_client: Any, python_image: str, container_label: dict[str, str]
) -> Iterator[FailedRun]:
    from runner.api import RunOptions, plan_run, start_run

    project = failing_project
    plan = plan_run(project / "valohai.yaml", pipeline="p")
    options = RunOptions(image_map={"python:3.12-slim": python_image}, labels=container_label)
    handle = start_run(plan, options, network="none", pull="never", client=docker_client, home=home)
    assert handle.wait(120) == "failed"
    yield FailedRun(home, project, handle.run_id)


@pytest.fixture
def window_ui(
    qtbot: Any, tmp_path: Path, home: Path, python_image: str, container_label: dict[str, str]
) -> Any:
    from designer.app import create_app
    from designer.main_window import MainWindow
    from designer.run.integration import attach_run_ui

    create_app()
    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window.files.ask = lambda *a, **k: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
    window.files.autosave_timer.stop()
    qtbot.addWidget(window)
    ui = attach_run_ui(window, home=home)
    warnings: list[str] = []
    ui.warn = lambda title, text: warnings.append(f"{title}: {text}")
    ui.image_map = {"python:3.12-slim": python_image}
    ui.labels = container_label
    ui.start_kwargs = {"pull": "never"}  # the engine's default network: the debugger port is published
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    yield ui
    ui.debug_ui.shutdown()
    ui.shutdown()
    window.close()
