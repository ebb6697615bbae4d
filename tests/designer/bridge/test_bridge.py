"""The bridge without Docker: a real run on the local-process backend, and a start that fails."""

from __future__ import annotations

import sys
import textwrap
import threading
from pathlib import Path

from runner.api import RunOptions, plan_run


def _yaml(tmp_path: Path, command: str) -> Path:
    (tmp_path / "emit.py").write_text(
        textwrap.dedent(
            """
            import json, sys, threading
            for i in range(200):
                print(json.dumps({"i": i, "v": i * i}), flush=True)
                print(f"line {i}", flush=True)
            print("done", file=sys.stderr, flush=True)
            """
        )
    )
    path = tmp_path / "valohai.yaml"
    path.write_text(f"- step:\n    name: emit\n    image: none\n    command: {command}\n")
    return path


def test_events_arrive_batched_on_the_gui_thread(qtbot, tmp_path: Path) -> None:
    from designer.bridge.run_controller import RunController

    ctl = RunController()
    seen: dict[str, list] = {"logs": [], "records": [], "states": [], "threads": set()}
    gui = threading.current_thread()

    def note(kind: str):
        def slot(batch):
            seen["threads"].add(threading.current_thread() is gui)
            seen[kind].append(batch)

        return slot

    ctl.events.logs_arrived.connect(note("logs"))
    ctl.events.records_arrived.connect(note("records"))
    ctl.events.states_changed.connect(note("states"))
    busy: list[bool] = []
    ctl.busy_changed.connect(busy.append)
    plan = plan_run(_yaml(tmp_path, f"{sys.executable} emit.py"), step="emit")
    with qtbot.waitSignal(ctl.events.run_finished, timeout=60_000) as blocker:
        ctl.start(plan, RunOptions(), backend="local", home=tmp_path / "home")
    assert blocker.args[0].status == "succeeded"
    qtbot.waitUntil(lambda: not ctl.busy)
    assert busy == [True, False]
    assert seen["threads"] == {True}  # every slot ran on the GUI thread
    lines = [x for batch in seen["logs"] for x in batch if x.stream != "runner"]
    # stdout and stderr are read separately: order holds within a stream, not across them
    assert len(lines) == 401
    assert [x.text for x in lines if x.stream == "stderr"] == ["done"]
    records = [x.record["i"] for batch in seen["records"] for x in batch]
    assert records == list(range(200))  # all of them, in order
    assert len(seen["logs"]) < 50  # batched, not a signal per line
    assert ctl.states.state("emit").status == "succeeded"


def test_a_start_that_fails_is_reported_and_clears_busy(qtbot, tmp_path: Path) -> None:
    from designer.bridge.run_controller import RunController

    ctl = RunController()
    plan = plan_run(_yaml(tmp_path, "exit 0"), step="emit")
    with qtbot.waitSignal(ctl.events.run_failed, timeout=30_000) as blocker:
        ctl.start(plan, RunOptions(), backend="no-such-backend", home=tmp_path / "home")
    assert "no-such-backend" in blocker.args[0]
    qtbot.waitUntil(lambda: not ctl.busy)
    try:
        ctl.start(plan, RunOptions(), backend="local", home=tmp_path / "home")
        assert ctl.busy
        try:
            ctl.start(plan, RunOptions(), backend="local", home=tmp_path / "home")
        except RuntimeError as exc:
            assert "already going on" in str(exc)
        else:
            raise AssertionError("a second start while busy must be refused")
    finally:
        ctl.shutdown()
    assert not ctl.busy
