"""SIGTERM (``kill``, a logout) ends the designer as Ctrl-C ends a CLI run: the run going on is
cancelled and its containers stopped, unsaved edits stay in the autosave, nothing asks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from runner.store.db import RunStore
from tests.support.images import BUSYBOX
from tests.support.paths import REPO
from tests.support.runner_process import RunnerProcess, running_containers

pytestmark = [pytest.mark.gui, pytest.mark.docker]

DRIVER = textwrap.dedent(
    """
    import sys
    import designer.app as app

    def start(window):  # instead of the welcome screen: an unsaved edit, then a run
        window.editor.apply_text(window.document.text + "# not saved yet\\n")
        ui = window.run_ui
        ui.start_kwargs = {"network": "none", "pull": "never"}
        ui.run_pipeline(dialog=False)

    app._attach_welcome = start
    sys.exit(app.run_gui(sys.argv[1]))
    """
)

YAML = f"""\
- step: {{name: sleepy, image: {BUSYBOX}, command: "echo started; sleep 300"}}
- pipeline:
    name: p
    nodes: [{{name: sleepy, step: sleepy, type: execution}}]
    edges: []
"""


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_stop_signal_cancels_the_designers_run_and_keeps_unsaved_edits(
    sig: int, code: int, tmp_path: Path, docker_client: Any
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "valohai.yaml").write_text(YAML)
    home, recovery = tmp_path / "home", tmp_path / "recovery"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(tmp_path),  # the designer's own settings
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PIPELINE_DESIGNER_HOME": str(home),
        "PIPELINE_DESIGNER_RECOVERY_DIR": str(recovery),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(project / "valohai.yaml")],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        run_id = RunnerProcess(proc, home).run_id(timeout=90)
        assert running_containers(docker_client, run_id)
        t0 = time.monotonic()
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=40)
        assert proc.returncode == code, err
        assert time.monotonic() - t0 < 10 and "Traceback" not in err, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    store = RunStore(home / "runs.sqlite3")
    assert store.run(run_id)["status"] == "cancelled"
    store.close()
    left = docker_client.containers.list(all=True, filters={"label": f"pipeline-designer.run-id={run_id}"})
    assert left == []
    saved = [p.read_text(errors="replace") for p in recovery.rglob("*") if p.is_file()]
    assert any("# not saved yet" in text for text in saved), "the unsaved edit was lost"
