"""A run's details for the docks: child names and labels, task counts, node states that ignore
child events and retried attempts, approvals and endpoints."""

from __future__ import annotations

from designer.bridge.run_details import TaskCounts, format_params, varied
from runner.api import split_unit
from runner.events import (
    ApprovalRequested,
    ApprovalResolved,
    EndpointReady,
    EndpointStopped,
    NodeStateChanged,
    TaskExpanded,
    TaskProgress,
)

R = "run-000001"


def test_names_labels_and_counts() -> None:
    assert split_unit("train#3") == ("train", 3)
    assert split_unit("train") == ("train", None)
    assert split_unit("a#b") == ("a#b", None)
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
