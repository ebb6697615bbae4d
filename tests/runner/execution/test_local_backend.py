"""The local-process backend (no Docker): the env of docs/runtime.md §2, outputs, failure, cancel, limits."""

from __future__ import annotations

import time
from pathlib import Path

from runner.api import RunOptions, plan_run, start_run
from runner.events import LogLine, NodeStateChanged
from runner.store.db import RunStore

YAML = r"""
- step:
    name: env
    image: unused
    command:
      - test "$PWD" = "$VH_REPOSITORY_DIR"
      - cat "$VH_CONFIG_DIR/parameters.json"
      - cat "$VH_INPUTS_DIR/data/in.txt"
      - echo out > "$VH_OUTPUTS_DIR/o.txt"
      - 'printf ''{"n": %s}\n'' {parameter-value:n}'
    parameters: [{name: n, type: integer, default: 5}]
    inputs: [{name: data, default: in.txt}]
- step: {name: slow, image: unused, command: "echo started; sleep 60"}
- step: {name: limited, image: unused, command: "sleep 60", time-limit: 1}
- step: {name: fails, image: unused, command: "exit 7"}
"""


def _run(path: Path, step: str, cancel_after_start: bool = False):
    handle = start_run(plan_run(path, step=step), RunOptions(reuse=False), backend="local")
    events = []
    t_cancel = None
    while True:
        event = handle.events.get(timeout=30)
        events.append(event)
        if cancel_after_start and isinstance(event, LogLine) and event.text == "started":
            t_cancel = time.monotonic()
            handle.cancel()
        if type(event).__name__ == "RunFinished":
            break
    handle.wait()
    return handle, events, t_cancel


def test_local_backend_sets_the_contract_environment(project, home: Path) -> None:
    path = project(YAML, **{"in.txt": "input text\n"})
    handle, events, _ = _run(path, "env")
    lines = [e.text for e in events if isinstance(e, LogLine) and e.stream == "stdout"]
    assert handle.status == "succeeded", [e.text for e in events if isinstance(e, LogLine)]
    assert lines == ["{", '  "n": 5', "}", "input text", '{"n": 5}']
    assert any(isinstance(e, LogLine) and "NOT isolated" in e.text for e in events)
    store = RunStore(home / "runs.sqlite3")
    ex = store.execution(handle.run_id, "env")
    assert [o["path"] for o in store.outputs(ex["id"])] == ["o.txt"]
    assert store.metadata(ex["id"])[0]["n"] == 5


def test_local_backend_failure_limit_and_cancel(project, home: Path) -> None:
    path = project(YAML, **{"in.txt": "x\n"})
    handle, events, _ = _run(path, "fails")
    assert handle.status == "failed"
    assert [e.exit_code for e in events if isinstance(e, NodeStateChanged) and e.status == "failed"] == [7]
    t0 = time.monotonic()
    handle, events, _ = _run(path, "limited")
    assert handle.status == "failed" and time.monotonic() - t0 < 6
    handle, events, t_cancel = _run(path, "slow", cancel_after_start=True)
    assert handle.status == "cancelled" and t_cancel is not None and time.monotonic() - t_cancel < 5


def test_designer_runs_unsaved_document_edits(project, home: Path) -> None:
    from runner.config import edits
    from runner.config.document import YamlDocument

    path = project(YAML, **{"in.txt": "x\n"})
    doc = YamlDocument.load(path)
    edits.set_step_field(doc, "fails", "command", "echo edited")
    handle = start_run(plan_run(doc.loaded, step="fails"), RunOptions(reuse=False), backend="local")
    assert handle.wait(30) == "succeeded"
    assert "exit 7" in path.read_text()  # the file itself is untouched


def test_local_step_cannot_corrupt_the_artifact_store(project, home: Path) -> None:
    path = project(
        """
        - step:
            name: w
            image: unused
            command: chmod u+w "$VH_INPUTS_DIR/data/in.txt"; echo overwritten > "$VH_INPUTS_DIR/data/in.txt"
            inputs: [{name: data, default: in.txt}]
        """,
        **{"in.txt": "original\n"},
    )
    handle = start_run(plan_run(path, step="w"), RunOptions(reuse=False), backend="local")
    assert handle.wait(30) == "succeeded"
    stored = RunStore(home / "runs.sqlite3").execution(handle.run_id, "w")["inputs"]["data"][0]["sha256"]
    from runner.store.artifacts import ArtifactStore

    assert ArtifactStore(home / "artifacts").path_for(stored).read_text() == "original\n"
