"""The scheduler state machine, fed synthetic outcomes (no engine, no I/O)."""

from __future__ import annotations

import pytest

from runner.dag.scheduler import CONTINUE, RETRY, STOP_ALL, STOP_NEXT, Scheduler, SchedulerError
from runner.events import (
    AWAITING_APPROVAL,
    CANCELLED,
    FAILED,
    PENDING,
    REUSED,
    RUNNING,
    SKIPPED,
    STOPPED,
    SUCCEEDED,
)

DIAMOND = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}


def test_diamond_runs_in_dependency_order() -> None:
    s = Scheduler(DIAMOND, concurrency=4, order=["a", "b", "c", "d"])
    assert s.take_ready() == ["a"]
    assert s.take_ready() == []  # nothing else until a finishes
    s.finish("a", SUCCEEDED)
    assert s.take_ready() == ["b", "c"]
    s.finish("b", SUCCEEDED)
    assert s.take_ready() == []  # d still waits for c
    s.finish("c", REUSED)
    assert s.take_ready() == ["d"]
    s.finish("d", SUCCEEDED)
    assert s.done and s.overall() == "succeeded"


def test_concurrency_limit() -> None:
    s = Scheduler({f"n{i}": [] for i in range(5)}, concurrency=2)
    assert len(s.take_ready()) == 2
    assert s.take_ready() == []
    s.finish("n0", SUCCEEDED)
    assert s.take_ready() == ["n2"]
    assert len(s.running) == 2


def test_stop_next_failure_skips_descendants_and_the_rest_goes_on() -> None:
    graph = {"a": [], "b": ["a"], "c": ["b"], "x": [], "y": ["x"]}
    s = Scheduler(graph, concurrency=4, order=list(graph), policies={"a": STOP_NEXT})
    assert s.take_ready() == ["a", "x"]
    assert s.finish("a", FAILED) == ["b", "c"]
    assert s.halted_by is None
    assert s.status["b"] == SKIPPED and s.status["c"] == SKIPPED
    s.finish("x", SUCCEEDED)
    assert s.take_ready() == ["y"]
    s.finish("y", SUCCEEDED)
    assert s.done and s.overall() == FAILED


def test_skip_does_not_touch_a_node_with_another_failed_parent_already_skipped() -> None:
    s = Scheduler(DIAMOND, concurrency=4, order=list(DIAMOND), policies=dict.fromkeys(DIAMOND, STOP_NEXT))
    s.take_ready()
    s.finish("a", SUCCEEDED)
    s.take_ready()
    assert s.finish("b", FAILED) == ["d"]
    assert s.finish("c", FAILED) == []  # d already skipped
    assert s.done


def test_cancel_marks_pending_and_stops_launching() -> None:
    s = Scheduler(DIAMOND, concurrency=4, order=list(DIAMOND))
    s.take_ready()
    assert sorted(s.cancel()) == ["b", "c", "d"]
    assert s.status["a"] == RUNNING and not s.done
    s.finish("a", CANCELLED)
    assert s.take_ready() == []
    assert s.done and s.overall() == CANCELLED


def test_errors_are_specific() -> None:
    with pytest.raises(SchedulerError, match="unknown node"):
        Scheduler({"a": ["ghost"]}, concurrency=1)
    with pytest.raises(SchedulerError, match="at least 1"):
        Scheduler({"a": []}, concurrency=0)
    s = Scheduler({"a": []}, concurrency=1)
    with pytest.raises(SchedulerError, match="not running"):
        s.finish("a", SUCCEEDED)
    s.take_ready()
    with pytest.raises(SchedulerError, match="not a terminal"):
        s.finish("a", PENDING)


def test_overall_status() -> None:
    s = Scheduler({"deploy": [], "a": []}, concurrency=2)
    s.take_ready()
    s.finish("deploy", SKIPPED)  # e.g. a deployment node the local runner does not run
    s.finish("a", SUCCEEDED)
    assert s.overall() == "succeeded"
    s = Scheduler({"a": [], "b": []}, concurrency=2)
    s.take_ready()
    s.finish("a", CANCELLED)
    s.finish("b", FAILED)
    assert s.overall() == FAILED


def test_a_node_awaiting_approval_frees_its_slot_and_holds_its_descendants() -> None:
    graph = {"a": [], "b": ["a"], "x": []}
    s = Scheduler(graph, concurrency=1, order=list(graph))
    assert s.take_ready() == ["a"]
    s.hold("a")
    assert s.status["a"] == AWAITING_APPROVAL and s.running == [] and not s.done
    assert s.take_ready() == ["x"]  # the slot a held is free; b still waits for a
    s.finish("x", SUCCEEDED)
    assert s.take_ready() == []
    s.finish("a", SUCCEEDED)  # approved after completing: the results go on
    assert s.take_ready() == ["b"]


def test_approved_before_start_is_offered_again_and_rejected_skips_descendants() -> None:
    s = Scheduler(DIAMOND, concurrency=1, order=list(DIAMOND))
    s.take_ready()
    s.hold("a")
    s.resume("a")
    assert s.status["a"] == PENDING
    assert s.take_ready() == ["a"]
    s.hold("a")
    assert s.finish("a", FAILED) == ["b", "c", "d"]  # rejected
    assert s.done and s.overall() == FAILED
    with pytest.raises(SchedulerError, match="not awaiting-approval"):
        s.resume("a")
    with pytest.raises(SchedulerError, match="not running"):
        s.hold("b")


def test_stop_skips_pending_and_held_nodes_and_the_run_ends_stopped() -> None:
    graph = {"a": [], "b": ["a"], "c": ["b"], "x": [], "y": []}
    s = Scheduler(graph, concurrency=2, order=list(graph))
    assert s.take_ready() == ["a", "x"]
    s.hold("x")
    assert s.stop() == ["b", "c", "x", "y"]  # launch order
    assert s.take_ready() == []  # nothing launches any more
    assert s.finish("a", SUCCEEDED) == []
    assert s.done and s.overall() == STOPPED
    assert s.stop() == []  # a second action: nothing left


def test_error_pipeline_fails_the_run_and_a_node_failure_beats_stopped() -> None:
    s = Scheduler({"a": [], "b": []}, concurrency=2)
    s.take_ready()
    assert s.stop(error=True) == []
    s.stop()  # a later stop-pipeline does not turn it back into "stopped"
    s.finish("a", SUCCEEDED)
    s.finish("b", CANCELLED)  # the running node was stopped
    assert s.overall() == FAILED
    s = Scheduler({"a": [], "b": []}, concurrency=2)
    s.take_ready()
    s.stop()
    s.finish("a", FAILED)
    s.finish("b", CANCELLED)
    assert s.overall() == FAILED


def test_cancel_also_cancels_nodes_awaiting_approval() -> None:
    s = Scheduler({"a": [], "b": ["a"]}, concurrency=1)
    s.take_ready()
    s.hold("a")
    assert s.cancel() == ["a", "b"]
    assert s.done and s.overall() == CANCELLED


# on-error ---------------------------------------------------------------------------------------
def test_stop_all_is_the_default_and_skips_every_pending_node() -> None:
    graph = {"a": [], "b": ["a"], "c": ["b"], "x": [], "y": ["x"], "z": []}
    s = Scheduler(graph, concurrency=2, order=list(graph))
    assert s.policies["a"] == STOP_ALL
    assert s.take_ready() == ["a", "x"]
    assert s.finish("a", FAILED) == ["b", "c", "y", "z"]  # launch order; z never started
    assert s.halted_by == "a" and s.stopping
    assert s.status["x"] == RUNNING  # running nodes are the executor's to stop
    assert s.take_ready() == []
    s.finish("x", CANCELLED)
    assert s.done and s.overall() == FAILED


def test_stop_all_also_skips_held_nodes_and_fires_once() -> None:
    graph = {"a": [], "b": [], "c": ["b"]}
    s = Scheduler(graph, concurrency=3, order=list(graph))
    s.take_ready()
    s.hold("b")
    assert s.finish("a", FAILED) == ["b", "c"]
    assert s.status["b"] == SKIPPED and s.halted_by == "a"


def test_a_second_failure_while_stopping_does_not_halt_again() -> None:
    s = Scheduler({"a": [], "b": [], "c": []}, concurrency=2, order=["a", "b", "c"])
    s.take_ready()
    assert s.finish("a", FAILED) == ["c"]
    assert s.finish("b", FAILED) == []
    assert s.halted_by == "a" and s.done


def test_continue_lets_descendants_start_and_the_run_still_fails() -> None:
    graph = {"a": [], "b": ["a"], "c": ["b"], "x": []}
    s = Scheduler(graph, concurrency=4, order=list(graph), policies={"a": CONTINUE})
    assert s.take_ready() == ["a", "x"]
    assert s.finish("a", FAILED) == []
    assert s.halted_by is None and not s.stopping
    assert s.take_ready() == ["b"]
    s.finish("b", SUCCEEDED)
    assert s.take_ready() == ["c"]
    s.finish("c", SUCCEEDED)
    s.finish("x", SUCCEEDED)
    assert s.status["a"] == FAILED
    assert s.done and s.overall() == FAILED  # a failure is never hidden


def test_continue_does_not_apply_to_a_cancelled_node() -> None:
    s = Scheduler({"a": [], "b": ["a"]}, concurrency=2, policies={"a": CONTINUE})
    s.take_ready()
    assert s.finish("a", CANCELLED) == ["b"]


def test_cancelled_is_no_error_for_stop_all() -> None:
    s = Scheduler({"a": [], "b": ["a"], "x": []}, concurrency=1, order=["a", "b", "x"])
    s.take_ready()
    assert s.finish("a", CANCELLED) == ["b"]  # only the descendants
    assert s.halted_by is None and s.take_ready() == ["x"]


def test_a_final_retry_failure_stops_all() -> None:
    s = Scheduler({"a": [], "x": []}, concurrency=1, order=["a", "x"], policies={"a": RETRY})
    s.take_ready()
    assert s.finish("a", FAILED) == ["x"]  # the executor retried already: this is the last word
    assert s.halted_by == "a"


def test_an_unknown_on_error_is_refused() -> None:
    with pytest.raises(SchedulerError, match="node 'a': unknown on-error 'later'"):
        Scheduler({"a": []}, concurrency=1, policies={"a": "later"})
