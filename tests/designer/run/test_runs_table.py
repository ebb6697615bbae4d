"""The Runs dock as an executions table over a real store: filters, parameter and metric columns
sorted by value, tags and notes, multi-select to compare, the parameter diff of a comparison."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from designer.bridge.history import RunHistory
from designer.run.run_table_model import FIXED
from designer.run.runs_browser import RunsBrowser, param_diff
from runner.api import open_store
from tests.support.stored_runs import store_run

A, B = "/work/mnist/valohai.yaml", "/work/cifar/valohai.yaml"


def _run(
    store: Any, run_id: str, t: float, file: str, pipeline: str, status: str, lr: float, acc: float | None
) -> None:
    store.create_run(run_id, pipeline=pipeline, yaml_path=file, started=t, status="running")
    eid = f"{run_id}-train"
    store.upsert_execution(
        eid, run_id=run_id, node="train", step="train", status=status, parameters={"lr": lr, "epochs": 3}
    )
    if acc is not None:
        store.add_metadata(eid, 0, t, {"epoch": 3, "accuracy": acc, "_time": "2026-01-01T00:00:00Z"})
    store.finish_run(run_id, status, t + 30)


@pytest.fixture
def history(tmp_path: Path) -> RunHistory:
    home = tmp_path / "home"
    _home, store, _artifacts = open_store(home)
    t = time.time() - 1000
    _run(store, "r1", t, A, "train-pipeline", "succeeded", 0.1, 0.81)
    _run(store, "r2", t + 100, A, "train-pipeline", "succeeded", 0.3, 0.92)
    _run(store, "r3", t + 200, A, "sweep", "failed", 0.01, None)
    _run(store, "r4", t + 300, B, "train-pipeline", "succeeded", 0.3, 0.55)
    store.set_run_tags("r2", ["baseline"])
    store.close()
    return RunHistory(home)


@pytest.fixture
def browser(qtbot, history: RunHistory) -> RunsBrowser:
    widget = RunsBrowser(history)
    qtbot.addWidget(widget)
    widget.resize(1100, 400)
    widget.show()
    widget.set_file(A)
    widget.refresh()
    return widget


def _column(browser: RunsBrowser, name: str) -> int:
    return browser.model.headers().index(name)


def _cells(browser: RunsBrowser, name: str) -> list[str]:
    c = _column(browser, name)
    return [browser.proxy.index(r, c).data() for r in range(browser.proxy.rowCount())]


def test_this_file_by_default_then_all_files(browser: RunsBrowser) -> None:
    assert browser.visible_ids() == ["r3", "r2", "r1"]  # newest first, the open file's runs
    files = browser.filters.file
    files.setCurrentIndex(files.findText("All files"))
    assert browser.visible_ids() == ["r4", "r3", "r2", "r1"]
    assert _cells(browser, "File")[0] == "cifar/valohai.yaml"
    files.setCurrentIndex(files.findText("cifar/valohai.yaml"))
    assert browser.visible_ids() == ["r4"]


def test_filters_by_pipeline_status_tag_and_text(browser: RunsBrowser) -> None:
    f = browser.filters
    f.pipeline.setCurrentIndex(f.pipeline.findText("sweep"))
    assert browser.visible_ids() == ["r3"]
    f.pipeline.setCurrentIndex(0)
    f.status.setCurrentIndex(f.status.findText("succeeded"))
    assert browser.visible_ids() == ["r2", "r1"]
    f.status.setCurrentIndex(0)
    f.tag.setCurrentIndex(f.tag.findText("baseline"))
    assert browser.visible_ids() == ["r2"]
    f.tag.setCurrentIndex(0)
    f.text.setText("lr=0.1")
    assert browser.visible_ids() == ["r1"]
    assert browser.count_label.text() == "1 of 3 runs"
    f.text.setText("")
    assert browser.visible_ids() == ["r3", "r2", "r1"]


def test_parameter_and_metric_columns_sort_by_value(browser: RunsBrowser) -> None:
    headers = browser.model.headers()
    assert headers[: len(FIXED)] == list(FIXED)
    assert "lr" in headers and "accuracy" in headers
    assert "epochs" not in headers  # the same in every run: no column for it
    table = browser.table
    table.sortByColumn(
        _column(browser, "accuracy"), table.horizontalHeader().sortIndicatorOrder().DescendingOrder
    )
    assert browser.visible_ids() == ["r2", "r1", "r3"]  # r3 printed no accuracy: last either way
    table.sortByColumn(
        _column(browser, "accuracy"), table.horizontalHeader().sortIndicatorOrder().AscendingOrder
    )
    assert browser.visible_ids() == ["r1", "r2", "r3"]
    table.sortByColumn(_column(browser, "lr"), table.horizontalHeader().sortIndicatorOrder().AscendingOrder)
    assert _cells(browser, "lr") == ["0.01", "0.1", "0.3"]  # as numbers, not as text


def test_a_value_printed_once_long_ago_is_a_column_with_its_value(qtbot, tmp_path: Path) -> None:
    home = tmp_path / "home"
    _home, store, _artifacts = open_store(home)
    store.create_run("r9", pipeline="p", yaml_path=A, started=time.time(), status="running")
    store.upsert_execution("r9-train", run_id="r9", node="train", status="running")
    records = [{"test_accuracy": 0.9731}] + [{"loss": 1 / (i + 1)} for i in range(500)]
    store.add_metadata_batch("r9-train", [(i, 1.0, r) for i, r in enumerate(records)])
    store.upsert_execution("r9-train", status="succeeded")
    store.finish_run("r9", "succeeded", time.time())
    store.close()
    widget = RunsBrowser(RunHistory(home))
    qtbot.addWidget(widget)
    widget.set_file(A)
    widget.refresh()
    assert _cells(widget, "test_accuracy") == ["0.9731"]  # 500 records before the last one


def test_tags_and_notes_are_saved_in_the_store(browser: RunsBrowser, history: RunHistory) -> None:
    browser.select_ids(["r1"])
    browser.ask_text = lambda title, label, text, multi: ("best so far, lr-sweep", True)
    browser.tags_b.click()
    assert history.run("r1")["tags"] == ["best so far", "lr-sweep"]
    assert _cells(browser, "Tags")[browser.visible_ids().index("r1")] == "best so far, lr-sweep"
    browser.select_ids(["r1"])
    browser.ask_text = lambda title, label, text, multi: ("warm restarts helped\nsecond line", multi)
    browser.note_b.click()
    assert history.run("r1")["note"] == "warm restarts helped\nsecond line"
    assert _cells(browser, "Note")[browser.visible_ids().index("r1")] == "warm restarts helped"
    browser.filters.text.setText("restarts")
    assert browser.visible_ids() == ["r1"]
    # Several runs: the tags they share are replaced, each one's own are kept.
    browser.filters.text.setText("")
    browser.select_ids(["r1", "r2"])
    browser.ask_text = lambda title, label, text, multi: ("reviewed", True)
    browser.edit_tags()
    assert history.run("r1")["tags"] == ["best so far", "lr-sweep", "reviewed"]
    assert history.run("r2")["tags"] == ["baseline", "reviewed"]


def test_a_new_tag_or_note_widens_its_column_to_be_read(browser: RunsBrowser) -> None:
    header = browser.table.horizontalHeader()
    tags, note = _column(browser, "Tags"), _column(browser, "Note")
    browser.select_ids(["r1"])
    browser.ask_text = lambda title, label, text, multi: ("learning-rate-sweep, candidate", True)
    browser.tags_b.click()
    text_px = browser.table.fontMetrics().horizontalAdvance("learning-rate-sweep, candidate")
    assert header.sectionSize(tags) > text_px  # not "learning-ra…"
    browser.select_ids(["r1"])
    browser.ask_text = lambda title, label, text, multi: ("warm restarts helped a lot", multi)
    browser.note_b.click()
    metrics = browser.table.fontMetrics()
    assert header.sectionSize(note) > metrics.horizontalAdvance("warm restarts helped a lot")
    header.resizeSection(tags, 40)  # the user narrows it: a refresh leaves it so
    browser.refresh()
    assert header.sectionSize(tags) == 40


def test_multi_select_to_compare(qtbot, browser: RunsBrowser) -> None:
    browser.select_ids(["r1", "r3"])
    assert browser.compare_b.isEnabled() and not browser.load_b.isEnabled()
    with qtbot.waitSignal(browser.compare_requested) as blocker:
        browser.compare_b.click()
    assert blocker.args == ["r1", "r3"]  # older first
    browser.compare_only(None)
    browser.select_ids(["r1", "r2", "r3"])
    browser.compare_b.click()
    assert browser.visible_ids() == ["r3", "r2", "r1"] and browser.count_label.text() == "Comparing 3 runs"
    assert browser.all_b.isVisible()
    browser.select_ids(["r1", "r2"])
    browser.compare_only(["r1", "r2"])
    assert browser.visible_ids() == ["r2", "r1"]
    browser.all_b.click()
    assert browser.only is None and len(browser.visible_ids()) == 3
    menu = browser.context_menu()
    assert [a.text() for a in menu.actions() if a.text()][:2] == ["Show Run", "Compare Selected"]


def test_runs_of_a_file_newest_first_and_compare_two(qtbot, tmp_path: Path) -> None:
    home = tmp_path / "home"
    store_run(home, "20260101-000000-aaaaaa", 0.1, {"table.csv": b"a,b\n1,2\n"})
    store_run(home, "20260101-000100-bbbbbb", 0.2, {})
    history = RunHistory(home)
    browser = RunsBrowser(history)
    qtbot.addWidget(browser)
    browser.set_file("/x/valohai.yaml")
    browser.refresh()
    assert browser.visible_ids() == ["20260101-000100-bbbbbb", "20260101-000000-aaaaaa"]
    headers = browser.model.headers()
    top = {h: browser.proxy.index(0, c).data() for c, h in enumerate(headers)}
    assert top["Run"] == "20260101-000100-bbbbbb" and "succeeded" in top["Status"]
    assert top["Duration"] == "0:05" and top["loss"] == "0.06667" and top["lr"] == "0.2"
    with qtbot.waitSignal(browser.compare_requested) as blocker:
        browser.table.selectAll()
        browser.compare_b.click()
    assert blocker.args == ["20260101-000000-aaaaaa", "20260101-000100-bbbbbb"]
    assert json.dumps(history.metadata("20260101-000000-aaaaaa-train")[0]["epoch"]) == "0"


def test_param_diff_lists_only_differences() -> None:
    a = [{"node": "train", "parameters": {"lr": 0.1, "epochs": 5}}, {"node": "prep", "parameters": {"s": 1}}]
    b = [
        {"node": "train", "parameters": {"lr": 0.2, "epochs": 5, "extra": True}},
        {"node": "prep", "parameters": {"s": 1}},
    ]
    assert param_diff(a, b) == [("train", "extra", None, True), ("train", "lr", 0.1, 0.2)]


def test_a_run_whose_process_is_gone_shows_as_interrupted_at_once(browser: RunsBrowser) -> None:
    """A runner killed with SIGKILL left its run marked running: the Runs dock, reading the
    store, says interrupted without waiting for another run to tidy up."""
    import subprocess

    dead = subprocess.Popen(["true"])  # the killed runner's pid: no longer running
    dead.wait()
    _home, store, _artifacts = open_store(browser.history.home)
    try:
        store.create_run("r5", pipeline="train-pipeline", yaml_path=A, started=time.time(), status="running")
        store.update_run("r5", pid=dead.pid, pid_start=None)
    finally:
        store.close()
    browser.refresh()
    f = browser.filters
    f.status.setCurrentIndex(f.status.findText("interrupted"))
    assert browser.visible_ids() == ["r5"]
    f.status.setCurrentIndex(f.status.findText("running"))
    assert browser.visible_ids() == []
