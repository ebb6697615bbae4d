"""The Runs dock's Delete Run…: what it frees is asked first, then the run, its log and the
files no other run uses go (off the UI thread), and the table follows; a damaged store is said."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from designer.bridge.history import RunHistory
from designer.run.runs_browser import RunsBrowser
from runner.api import open_store
from runner.store import gc as collector
from tests.support.stored_runs import store_run


@pytest.fixture
def browser(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunsBrowser:
    home = tmp_path / "home"
    store_run(home, "r1", 0.1, {"model.bin": b"r1's model", "shared.txt": b"both"})
    store_run(home, "r2", 0.2, {"model.bin": b"r2's model", "shared.txt": b"both"})
    time.sleep(0.05)  # the files are older than the sweep (file times are coarse)
    monkeypatch.setattr(collector, "SLACK", 0.0)
    widget = RunsBrowser(RunHistory(home))
    qtbot.addWidget(widget)
    widget.show()
    widget.set_file("/x/valohai.yaml")
    widget.refresh()
    return widget


def _blobs(home: Path) -> set[bytes]:
    return {p.read_bytes() for p in (home / "artifacts" / "sha256").rglob("*") if p.is_file()}


def test_delete_run_asks_with_what_it_frees_then_deletes_it_and_only_its_files(qtbot, browser) -> None:
    home = browser.history.home
    asked: list[str] = []
    browser.confirm = lambda title, text: asked.append(text) or True
    browser.select_ids(["r1"])
    menu = browser.context_menu()
    delete = next(a for a in menu.actions() if a.text() == "Delete Run…")
    assert delete.isEnabled()
    with qtbot.waitSignal(browser.cleanup.deleted, timeout=10_000):
        delete.trigger()
    assert asked == ["Delete 1 run? Their records, logs and the 0.0 KB of files no other run uses go."]
    assert browser.visible_ids() == ["r2"]
    assert browser.notice.text() == "Deleted 1 run and freed 0.0 KB."
    assert _blobs(home) == {b"r2's model", b"both"}
    _home, store, _artifacts = open_store(home)
    try:
        assert store.run("r1") is None and store.metadata("r1-train") == []
    finally:
        store.close()


def test_saying_no_deletes_nothing(qtbot, browser) -> None:
    browser.confirm = lambda title, text: False
    browser.select_ids(["r1", "r2"])
    with qtbot.waitSignal(browser.cleanup.planned, timeout=10_000):
        browser.delete_selected()
    assert browser.visible_ids() == ["r2", "r1"] and len(_blobs(browser.history.home)) == 3


def test_a_damaged_store_is_said_where_the_runs_would_be(browser) -> None:
    (browser.history.home / "runs.sqlite3").write_bytes(b"this is not a database" * 200)
    browser.refresh()
    assert "the run store is damaged" in browser.notice.text()
    assert "pipeline-designer store repair" in browser.notice.text()


@pytest.mark.docker
def test_delete_run_removes_the_containers_its_killed_runner_left(
    qtbot, browser, docker_client, busybox_image: str, container_label: dict[str, str]
) -> None:
    """A run killed mid-way left its (stopped) container on the engine: Delete Run… says so in its
    question, then removes it."""
    from runner.execution.spec import RUN_LABEL

    run_id = f"killed-{uuid.uuid4().hex[:8]}"  # no other test's container carries it
    store_run(browser.history.home, run_id, 0.3, {"model.bin": b"killed run's model"})
    browser.refresh()
    left = docker_client.containers.create(
        busybox_image, ["true"], network_mode="none", labels={**container_label, RUN_LABEL: run_id}
    )
    asked: list[str] = []
    browser.confirm = lambda title, text: asked.append(text) or True
    browser.select_ids([run_id])
    with qtbot.waitSignal(browser.cleanup.deleted, timeout=30_000):
        browser.delete_selected()
    assert asked and asked[0].startswith("Delete 1 run? Their records, logs, 1 container left on an engine")
    assert browser.notice.text().startswith("Deleted 1 run, removed 1 container and freed")
    mine = {"label": [f"{k}={v}" for k, v in container_label.items()]}
    assert left.id not in {c.id for c in docker_client.containers.list(all=True, filters=mine)}
