"""Issue 7's run UI logic without widgets: batching, run details, ranking, the controller's calls."""

from __future__ import annotations

import threading
from typing import Any

from designer.bridge.batching import Batch
from designer.bridge.run_details import TaskCounts, format_params, split_child, varied
from runner.api import rank_children
from runner.events import (
    ApprovalRequested,
    ApprovalResolved,
    EndpointReady,
    EndpointStopped,
    LogLine,
    MetadataRecord,
    NodeStateChanged,
    TaskExpanded,
    TaskProgress,
)

R = "run-000001"


def test_batch_keeps_a_tasks_executions_apart_from_the_node() -> None:
    batch = Batch()
    events = [
        TaskExpanded(R, "train", ({"lr": 0.1},)),
        NodeStateChanged(R, "train", "running", 1.0),
        NodeStateChanged(R, "train", "failed", 2.0, child=1),
        TaskProgress(R, "train", 1, 0, 0, 1),
        ApprovalRequested(R, "deploy", "node-starting", "check"),
        ApprovalResolved(R, "deploy", True),
        EndpointReady(R, "serve", "predict", "http://127.0.0.1:5000/", "c1"),
        EndpointStopped(R, "serve", "predict"),
        LogLine(R, "train", "stdout", "hi", 1.0, child=1),
        MetadataRecord(R, "train", {"a": 1}, 1.0, child=1),
    ]
    for e in events:
        batch.add(e)
    assert [e.status for e in batch.states] == ["running"]  # the child's "failed" is not the node's
    assert [e.child for e in batch.child_states] == [1]
    assert [type(e).__name__ for e in batch.tasks] == ["TaskExpanded", "TaskProgress"]
    assert [type(e).__name__ for e in batch.approvals] == ["ApprovalRequested", "ApprovalResolved"]
    assert [type(e).__name__ for e in batch.endpoints] == ["EndpointReady", "EndpointStopped"]
    assert len(batch.logs) == len(batch.records) == 1 and batch
    assert not Batch()


def test_names_labels_and_counts() -> None:
    assert split_child("train#3") == ("train", 3)
    assert split_child("train") == ("train", None)
    assert split_child("a#b") == ("a#b", None)
    assert format_params({"lr": 0.1 + 0.2, "depth": 3, "act": "relu"}) == "lr=0.3 depth=3 act=relu"
    assert varied([{"lr": 0.1, "epochs": 5}, {"lr": 0.3, "epochs": 5}]) == [{"lr": 0.1}, {"lr": 0.3}]
    assert TaskCounts(6, 1, 3, 0).text() == "3/6"
    assert TaskCounts(6, 0, 4, 2).text() == "6/6 · 2 failed"


def test_node_states_ignore_child_events_and_store_rows(qtbot) -> None:
    from designer.bridge.node_states import NodeStateModel
    from designer.bridge.run_details import RunDetails

    states, details = NodeStateModel(), RunDetails()
    states.reset(R, ("train", "report"))
    details.reset(R)
    states.apply(NodeStateChanged(R, "train", "running", 1.0))
    child_failed = NodeStateChanged(R, "train", "failed", 2.0, exit_code=1, child=2)
    states.apply(child_failed)
    details.apply([TaskExpanded(R, "train", ({"lr": 0.1}, {"lr": 0.3})), child_failed])
    assert states.state("train").status == "running"
    assert details.child_statuses("train") == {2: "failed"}
    assert details.child_label("train", 2) == "#2 lr=0.3"
    assert details.counts("train") == TaskCounts(2)  # TaskProgress gives the counts
    details.apply([TaskProgress(R, "train", 2, 1, 0, 1), TaskProgress("run-other", "train", 9, 0, 9, 0)])
    assert details.counts("train").text() == "1/2 · 1 failed"
    rows = [
        {"node": "train", "status": "succeeded", "parameters": {"lr": 0.3}},
        {"node": "train#1", "status": "succeeded", "parameters": {"lr": 0.1, "epochs": 5}},
        {"node": "train#2", "status": "failed", "parameters": {"lr": 0.3, "epochs": 5}},
        {"node": "report", "status": "skipped", "parameters": {}},
        # a retried node's first attempt (on-error: retry) is history, not a node or execution
        {"node": "train~1", "status": "failed", "parameters": {}},
        {"node": "train#1~1", "status": "failed", "parameters": {"lr": 0.1, "epochs": 5}},
    ]
    states.load_executions(R, rows)
    details.load_executions(R, rows)
    assert set(states.states()) == {"train", "report"}  # no canvas state for "train#1"
    assert states.progress() == (2, 2)
    assert details.child_label("train", 1) == "#1 lr=0.1"
    assert details.counts("train").text() == "2/2 · 1 failed"
    assert details.child_count("train") == 2 and details.is_task("train") and not details.is_task("report")


def test_approvals_and_endpoints_in_the_details(qtbot) -> None:
    from designer.bridge.run_details import RunDetails

    details = RunDetails()
    details.reset(R)
    changed: list[str] = []
    details.node_changed.connect(changed.append)
    details.apply([ApprovalRequested(R, "train", "node-starting", "costly")])
    assert details.pending("train").reason == "costly" and changed == ["train"]
    details.apply([ApprovalResolved(R, "train", False)])
    assert details.pending("train") is None
    details.apply([ApprovalRequested(R, "deploy", "node-complete", "")])
    details.run_ended()
    assert details.pending_approvals() == []
    details.apply([EndpointReady(R, "serve", "predict", "http://127.0.0.1:5001/", "c")])
    assert details.live_endpoints()["serve"].url == "http://127.0.0.1:5001/"
    details.apply([EndpointStopped(R, "serve", "predict")])
    assert details.endpoint("serve").stopped and details.endpoint("serve").url.endswith(":5001/")
    assert details.live_endpoints() == {}


def test_ranking_best_first_missing_last() -> None:
    by_child: dict[int, list[dict[str, Any]]] = {
        1: [{"acc": 0.5}, {"acc": 0.7}],
        2: [{"acc": 0.9}],
        3: [{"loss": 1.0}],  # never printed acc
        4: [{"acc": 0.7}],
        5: [{"acc": float("nan")}],
        6: [{"acc": "high"}],
        7: [{"acc": float("inf")}],
    }
    ranked = rank_children(by_child, "acc")
    assert ranked[:3] == [(2, 0.9), (1, 0.7), (4, 0.7)]  # latest values, ties in execution order
    assert sorted(ranked[3:]) == [(3, None), (5, None), (6, None), (7, None)]  # inf too: not a score
    assert [k for k, _v in rank_children(by_child, "acc", descending=False)][:3] == [1, 4, 2]


class _Handle:
    """Records what the controller asks of a run handle, and on which thread."""

    def __init__(self) -> None:
        self.run_id = R
        self.calls: list[tuple[str, str, bool]] = []
        self.done = threading.Event()

    def approve(self, node: str) -> None:
        self.calls.append(("approve", node, threading.current_thread() is threading.main_thread()))
        self.done.set()

    def reject(self, node: str) -> None:
        raise ValueError(f"node {node!r} is not awaiting approval")


def test_controller_answers_off_the_gui_thread_and_reports_errors(qtbot) -> None:
    from designer.bridge.run_controller import RunController

    ctl = RunController()
    failures: list[str] = []
    ctl.events.action_failed.connect(failures.append)
    ctl.approve("train")
    assert failures == ["Cannot approve 'train': no run is going on"]

    class _W:
        handle = _Handle()

    ctl._worker = _W()  # type: ignore[assignment]
    ctl.approve("train")
    assert _W.handle.done.wait(5)
    assert _W.handle.calls == [("approve", "train", False)]  # not on the GUI thread
    ctl.reject("train")
    qtbot.waitUntil(lambda: len(failures) == 2)
    assert failures[1] == "Could not reject 'train': ValueError: node 'train' is not awaiting approval"
    ctl._worker = None


class _EndpointHandle:
    def __init__(self) -> None:
        import queue

        self.run_id = R
        self.events: queue.Queue[Any] = queue.Queue()
        self.stops: list[bool] = []  # on the GUI thread?

    def stop_endpoints(self) -> None:
        self.stops.append(threading.current_thread() is threading.main_thread())
        self.events.put(EndpointStopped(R, "serve", "predict"))


def test_stop_endpoints_of_a_finished_run_and_on_shutdown(qtbot) -> None:
    from designer.bridge.run_controller import RunController

    ctl = RunController()
    handle = _EndpointHandle()

    class _W:
        pass

    _W.handle = handle  # type: ignore[attr-defined]
    ctl._worker = _W()  # type: ignore[assignment]
    with qtbot.waitSignal(ctl.endpoints_up_changed) as up:
        ctl.events.endpoints_changed.emit([EndpointReady(R, "serve", "predict", "http://127.0.0.1:1/", "c")])
    assert up.args == [True] and ctl.details.live_endpoints()
    ctl._worker = None  # the run ended; its endpoint is still up
    with qtbot.waitSignal(ctl.endpoints_up_changed) as down:
        ctl.stop_endpoints()
    assert down.args == [False] and handle.stops == [False]  # off the GUI thread
    assert ctl.details.endpoint("serve").stopped  # from the run's own EndpointStopped, read here
    # closing the window stops what is still up, and waits for it
    ctl.events.endpoints_changed.emit([EndpointReady(R, "serve", "predict", "http://127.0.0.1:1/", "c")])
    assert not ctl.endpoints_up  # no run of ours was going on: nothing to track
    ctl._worker = _W()  # type: ignore[assignment]
    ctl.events.endpoints_changed.emit([EndpointReady(R, "serve", "predict", "http://127.0.0.1:1/", "c")])
    ctl._worker = None
    ctl.shutdown()
    assert handle.stops == [False, False] and not ctl.endpoints_up
