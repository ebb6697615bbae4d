"""runner.triggers: durations, cron, the change detector, the watch loop and saved definitions."""

from __future__ import annotations

import datetime
import json
import os
import shlex
import threading
import time
from pathlib import Path

import pytest

from runner.config.sidecar import Layout, SidecarError, sidecar_path
from runner.triggers import (
    NOT_STARTED,
    ChangeDetector,
    ChangeSource,
    Cron,
    Every,
    PipelineRunner,
    ScheduleSource,
    Trigger,
    TriggerError,
    WatchLoop,
    every_warning,
    explain_cron,
    format_duration,
    load_triggers,
    parse_cron,
    parse_every,
    remove_trigger,
    save_trigger,
    stored_path,
)

# --- --every ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("1h", 3600), ("1d", 86400), ("1h30m", 5400), ("1.5h", 5400), ("1s", 1)],
)
def test_every_durations(text: str, seconds: float) -> None:
    assert parse_every(text) == seconds
    assert parse_every(format_duration(seconds)) == seconds


@pytest.mark.parametrize("text", ["", "90", "1x", "h", "1h-30m", "-5s", "1 hour"])
def test_every_refuses_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(TriggerError, match=r"e\.g\. 90s, 30m, 1h, 1d or 1h30m"):
        parse_every(text)


def test_every_minimum_and_short_warning() -> None:
    with pytest.raises(TriggerError, match="shortest interval is 1s"):
        parse_every("0.5s")
    assert "meant for tests" in (every_warning(parse_every("2s")) or "")
    assert every_warning(parse_every("10s")) is None


# --- --cron -------------------------------------------------------------------------------------


def test_cron_expressions_are_checked_with_clear_errors() -> None:
    assert parse_cron("  0   3 * * * ") == "0 3 * * *"
    assert parse_cron("@daily") == "0 0 * * *"
    assert explain_cron("0 3 * * *") == "At 03:00 every day"
    with pytest.raises(TriggerError, match=r"5 fields \(minute hour day-of-month month day-of-week\), got 3"):
        parse_cron("0 3 *")
    with pytest.raises(TriggerError, match="Bad hour"):
        parse_cron("0 25 * * *")
    with pytest.raises(TriggerError, match="Bad day-of-month"):
        parse_cron("0 0 31 2 *")


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_cron_next_fire_is_local_wall_clock_across_daylight_saving(new_york) -> None:
    before = datetime.datetime(2026, 3, 7, 12, 0).timestamp()  # the day before clocks go forward
    fire = Cron("0 3 * * *").next_after(before)
    local = time.localtime(fire)
    assert (local.tm_mday, local.tm_hour, local.tm_min, local.tm_isdst) == (8, 3, 0, 1)
    assert fire - before == 14 * 3600  # 15 wall-clock hours, one of which does not exist
    assert Cron("0 3 * * *").next_after(fire) - fire == 24 * 3600


def test_schedule_source_collapses_fires_missed_during_a_run() -> None:
    source = ScheduleSource(Every(10), now=100)
    assert source.due(105) is None and source.wait_s(105) == 5
    assert source.due(110) is not None
    source.ran(135)  # the run took 25 s: the fires at 120 and 130 were missed
    assert source.due(135) is not None  # one catch-up run ...
    source.ran(136)
    assert source.due(140) is None and source.due(145) is not None  # ... then back every 10 s


# --- the change detector ------------------------------------------------------------------------


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    (folder / "train.csv").write_text("a,b\n1,2\n")
    (folder / "sub" / "extra.txt").write_text("x")
    return folder


def _bump_mtime(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))


def test_touch_without_a_content_change_does_not_fire(data: Path, tmp_path: Path) -> None:
    detector = ChangeDetector([data], settle=1.0, base=tmp_path)
    _bump_mtime(data / "train.csv")
    assert detector.poll(0.0) == [] and detector.settling
    assert detector.poll(2.0) == [] and not detector.settling
    assert detector.poll(4.0) == []


def test_a_content_change_fires_once_after_settling(data: Path, tmp_path: Path) -> None:
    detector = ChangeDetector([data], settle=1.0, base=tmp_path)
    (data / "sub" / "extra.txt").write_text("y")
    _bump_mtime(data / "sub" / "extra.txt")  # same size: only the hash can tell
    assert detector.poll(0.0) == []
    assert detector.poll(0.5) == []  # not settled yet
    assert detector.poll(1.0) == ["data/sub/extra.txt"]
    assert detector.poll(5.0) == []


def test_two_quick_writes_fire_once(data: Path, tmp_path: Path) -> None:
    detector = ChangeDetector([data], settle=1.0, base=tmp_path)
    (data / "train.csv").write_text("a,b\n1,2\n3,4\n")
    assert detector.poll(0.0) == []
    (data / "train.csv").write_text("a,b\n1,2\n3,4\n5,6\n")  # still being written
    assert detector.poll(0.6) == []
    assert detector.poll(1.2) == []  # 0.6 s since the last move
    assert detector.poll(1.7) == ["data/train.csv"]
    assert detector.poll(3.0) == []


def test_added_removed_and_single_file_paths(data: Path, tmp_path: Path) -> None:
    single = tmp_path / "labels.json"
    single.write_text("{}")
    detector = ChangeDetector([data, single], settle=0.0, base=tmp_path)
    (data / "sub" / "extra.txt").unlink()
    (data / "new.csv").write_text("n")
    single.write_text('{"a": 1}')
    detector.poll(0.0)
    assert detector.poll(0.0) == ["data/new.csv", "data/sub/extra.txt", "labels.json"]


def test_missing_paths_are_an_error_at_start(tmp_path: Path) -> None:
    with pytest.raises(TriggerError, match="nope does not exist; create it first or fix the path"):
        ChangeDetector([tmp_path / "nope"])


# --- the loop -----------------------------------------------------------------------------------


def _loop_for(seconds: float, loop: WatchLoop) -> int:
    timer = threading.Timer(seconds, loop.stop.set)
    timer.start()
    try:
        return loop.run_forever()
    finally:
        timer.cancel()


def test_changes_during_a_run_cause_exactly_one_more_run(data: Path, tmp_path: Path) -> None:
    detector = ChangeDetector([data], settle=0.1, base=tmp_path)
    calls: list[str] = []
    loop: WatchLoop

    def run(reason: str) -> None:
        calls.append(reason)
        if len(calls) == 1:  # three edits while the first run goes on
            for i in range(3):
                (data / "train.csv").write_text(f"edit {i}\n" * (i + 1))
                time.sleep(0.05)
        elif len(calls) == 2:  # give a third run time to show up if it were coming
            threading.Timer(0.6, loop.stop.set).start()

    loop = WatchLoop(ChangeSource(detector, poll_s=0.05), run, once_at_start=True, max_runs=5)
    assert _loop_for(10, loop) == 2
    assert calls == ["start", "change: data/train.csv"]


def test_a_write_between_runs_fires_one_run_and_max_runs_stops(data: Path, tmp_path: Path) -> None:
    detector = ChangeDetector([data], settle=0.1, base=tmp_path)
    calls: list[str] = []
    loop = WatchLoop(ChangeSource(detector, poll_s=0.05), calls.append, max_runs=1)
    threading.Timer(0.2, lambda: (data / "train.csv").write_text("new\n")).start()
    _loop_for(5, loop)
    assert calls == ["change: data/train.csv"] and not loop.stop.is_set()  # ended by max_runs


def test_a_yaml_that_no_longer_plans_is_reported_not_raised(tmp_path: Path) -> None:
    yaml_path = tmp_path / "valohai.yaml"
    yaml_path.write_text("- step: [unclosed\n")
    summary = PipelineRunner(yaml_path, "p")("change: data/x")
    assert summary.status == NOT_STARTED and "valohai.yaml:1:9: error: YAML syntax error" in summary.message
    assert "not started" in summary.line() and "[change: data/x]" in summary.line()
    yaml_path.write_text("- step: {name: s, image: busybox, command: 'true'}\n")
    summary = PipelineRunner(yaml_path, "nope")("start")
    assert summary.status == NOT_STARTED and "pipeline 'nope' does not exist" in summary.message


# --- saved definitions --------------------------------------------------------------------------


def test_trigger_json_round_trip_and_checks(tmp_path: Path) -> None:
    t = Trigger("on-data", "train", "on_change", paths=("data/",), params={"fit.epochs": "3"})
    assert t.to_json() == {"pipeline": "train", "on_change": ["data/"], "params": {"fit.epochs": "3"}}
    assert Trigger.from_json("on-data", t.to_json()) == t
    nightly = Trigger.from_json("nightly", {"pipeline": "train", "cron": "0 3 * * *"})
    assert nightly.kind == "cron" and nightly.next_fire(time.time()) is not None
    assert Trigger("e", "train", "every", every="1h").describe() == "every 1h"
    with pytest.raises(TriggerError, match="use letters, digits"):
        Trigger("../x", "train", "every", every="1h")
    with pytest.raises(TriggerError, match="needs exactly one of"):
        Trigger.from_json("both", {"pipeline": "p", "every": "1h", "cron": "0 3 * * *"})
    with pytest.raises(TriggerError, match="--every 'soon'"):
        Trigger.from_json("bad", {"pipeline": "p", "every": "soon"})


def test_paths_are_stored_relative_to_the_yaml_folder_when_inside(tmp_path: Path) -> None:
    project = tmp_path / "my project"
    (project / "data").mkdir(parents=True)
    yaml_path = project / "valohai.yaml"
    assert stored_path(project / "data", yaml_path) == "data/"
    assert stored_path(tmp_path / "elsewhere.csv", yaml_path) == str(tmp_path / "elsewhere.csv")
    t = Trigger("t", "train", "on_change", paths=("data/",), params={"a.msg": "it's"})
    argv = shlex.split(t.command(yaml_path))
    assert argv == [
        "pipeline-designer", "watch", str(yaml_path), "--pipeline", "train",
        "--on-change", str(project / "data"), "--param", "a.msg=it's",
    ]  # fmt: skip


def test_saving_triggers_keeps_positions_and_other_keys(tmp_path: Path) -> None:
    yaml_path = tmp_path / "valohai.yaml"
    layout = Layout()
    layout.set_position("train", "fit", (10, 20))
    layout.save(yaml_path)
    raw = json.loads(sidecar_path(yaml_path).read_text())
    raw["pipelines"]["train"]["nodes"]["odd"] = "kept although malformed"
    raw["future"] = {"x": 1}
    sidecar_path(yaml_path).write_text(json.dumps(raw))
    save_trigger(yaml_path, Trigger("nightly", "train", "cron", cron="0 3 * * *"))
    save_trigger(yaml_path, Trigger("hourly", "train", "every", every="1h"))
    with pytest.raises(TriggerError, match="already exists"):
        save_trigger(yaml_path, Trigger("hourly", "train", "every", every="2h"))
    save_trigger(yaml_path, Trigger("two-hourly", "train", "every", every="2h"), replace="hourly")
    remove_trigger(yaml_path, "nightly")
    raw = json.loads(sidecar_path(yaml_path).read_text())
    assert raw["pipelines"]["train"]["nodes"] == {"fit": [10.0, 20.0], "odd": "kept although malformed"}
    assert raw["future"] == {"x": 1}
    assert raw["triggers"] == {"two-hourly": {"pipeline": "train", "every": "2h"}}
    triggers, problems = load_triggers(yaml_path)
    assert list(triggers) == ["two-hourly"] and problems == []


def test_a_layout_held_in_memory_does_not_clobber_triggers_saved_meanwhile(tmp_path: Path) -> None:
    yaml_path = tmp_path / "valohai.yaml"
    held, _ = Layout.load(yaml_path)  # the designer opened the file
    save_trigger(yaml_path, Trigger("nightly", "train", "cron", cron="0 3 * * *"))
    held.set_position("train", "fit", (1, 2))
    held.save(yaml_path)  # the designer saves its positions
    again, _ = Layout.load(yaml_path)
    assert again.positions("train") == {"fit": (1.0, 2.0)}
    assert list(load_triggers(yaml_path)[0]) == ["nightly"]
    remove_trigger(yaml_path, "nightly")
    held.save(yaml_path)  # and a removal is not undone by the next save either
    assert load_triggers(yaml_path)[0] == {}


def test_a_corrupt_sidecar_is_refused_not_replaced(tmp_path: Path) -> None:
    yaml_path = tmp_path / "valohai.yaml"
    sidecar_path(yaml_path).write_text("{not json")
    with pytest.raises(SidecarError, match="fix or delete the file"):
        save_trigger(yaml_path, Trigger("nightly", "train", "cron", cron="0 3 * * *"))
    assert sidecar_path(yaml_path).read_text() == "{not json"
    bad = {"triggers": {"bad": {"pipeline": "p"}, "no-pipeline": {"every": "1h"}}}
    sidecar_path(yaml_path).write_text(json.dumps(bad))
    triggers, problems = load_triggers(yaml_path)
    assert triggers == {} and len(problems) == 2 and "needs exactly one of" in problems[0]
