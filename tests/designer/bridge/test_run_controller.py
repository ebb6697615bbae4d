"""The run controller answers approvals and stops endpoints off the GUI thread, and reports what
failed in words."""

from __future__ import annotations

import threading
from typing import Any

from runner.events import EndpointReady, EndpointStopped

R = "run-000001"


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
