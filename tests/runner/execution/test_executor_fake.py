"""The executor loop with a FakeBackend that records launches and replays scripted outcomes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import valohai_yaml

from runner.events import LogLine, MetadataRecord, NodeStateChanged, RunFinished
from runner.execution.backend import Handle, Poll, poll_handle
from runner.execution.executor import Executor, RunOptions
from runner.execution.plan import plan_pipeline
from runner.execution.spec import ExecutionSpec, OutputFile
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore

YAML = """
- step:
    name: s
    image: img
    command: run {parameters}
    parameters: [{name: p, type: integer, default: 1}]
    inputs: [{name: in, optional: true}]
- pipeline:
    name: p
    nodes:
      - {name: a, step: s, type: execution}
      - {name: b, step: s, type: execution}
      - {name: c, step: s, type: execution}
    edges:
      - [a.output.*, b.input.in]
      - [a.metadata.score, c.parameter.p]
"""


class FakeBackend:
    """Scripted: node -> (stdout lines, exit code, outputs {path: bytes}); ``poll_error`` crashes."""

    name = "fake"
    isolated = True

    def __init__(
        self, script: dict[str, tuple[list[str], int, dict[str, bytes]]], poll_error: bool = False
    ) -> None:
        self.script = script
        self.launched: list[ExecutionSpec] = []
        self.terminated: list[str] = []
        self.cleaned: list[str] = []
        self.poll_error = poll_error

    def launch(self, spec: ExecutionSpec, wakeup: threading.Event | None = None) -> Handle:
        self.launched.append(spec)
        handle = Handle(spec, wakeup=wakeup)
        lines, code, _outputs = self.script[spec.node]
        for line in lines:
            handle.feed("stdout", line.encode() + b"\n")
        if code >= 0:
            handle.finish(code)
        return handle

    def poll(self, handle: Handle) -> Poll:
        if self.poll_error:
            raise RuntimeError("engine exploded")
        return poll_handle(handle)

    def terminate(self, handle: Handle, grace: float = 2.0) -> None:
        self.terminated.append(handle.spec.node)
        handle.finish(137)

    def collect(self, handle: Handle, artifacts: ArtifactStore, warn: object) -> list[OutputFile]:
        out = []
        for path, data in self.script[handle.spec.node][2].items():
            blob = artifacts.root / "tmp" / "blob"
            blob.write_bytes(data)
            sha, size = artifacts.put_file(blob, move=True)
            out.append(OutputFile(path, sha, size))
        return out

    def cleanup(self, handle: Handle) -> None:
        self.cleaned.append(handle.spec.node)

    def remove_leftovers(self, run_id: str) -> int:
        return 0


def _executor(
    tmp_path: Path, backend: FakeBackend, emit: Callable[[object], None] | None = None, **options: object
) -> tuple[Executor, list[object]]:
    (tmp_path / "code").mkdir(exist_ok=True)
    plan = plan_pipeline(valohai_yaml.parse(YAML), "p", tmp_path / "code")
    events: list[object] = []
    store = RunStore(tmp_path / "runs.sqlite3")
    ex = Executor(
        plan,
        backend,
        store,
        ArtifactStore(tmp_path / "a"),
        tmp_path,
        RunOptions(**options),
        emit or events.append,
    )
    return ex, events


def test_edges_metadata_and_outputs_flow(tmp_path: Path) -> None:
    backend = FakeBackend(
        {
            "a": (['{"score": 7}', "plain"], 0, {"x.txt": b"x"}),
            "b": ([], 0, {}),
            "c": ([], 0, {}),
        }
    )
    ex, events = _executor(tmp_path, backend)
    assert ex.run() == "succeeded"
    specs = {s.node: s for s in backend.launched}
    assert specs["a"].commands == ["run --p=1"]
    assert specs["c"].parameters == {"p": 7} and specs["c"].commands == ["run --p=7"]
    assert [f.name for f in specs["b"].inputs["in"]] == ["x.txt"]
    assert [e.record["score"] for e in events if isinstance(e, MetadataRecord)] == [7]
    assert sorted(backend.cleaned) == ["a", "b", "c"]
    assert isinstance(events[-1], RunFinished) and events[-1].node_statuses == dict.fromkeys(
        "abc", "succeeded"
    )


def test_failure_skips_and_reuse_second_time(tmp_path: Path) -> None:
    script = {"a": (['{"score": 2}'], 0, {}), "b": ([], 0, {}), "c": ([], 3, {})}
    ex, _events = _executor(tmp_path, FakeBackend(script))
    assert ex.run() == "failed"
    backend = FakeBackend(script)
    ex, events = _executor(tmp_path, backend)
    assert ex.run() == "failed"
    assert [s.node for s in backend.launched] == ["c"]  # a and b reused, the failed c is not
    reused = [e.node for e in events if isinstance(e, NodeStateChanged) and e.status == "reused"]
    assert sorted(reused) == ["a", "b"]


def test_missing_metadata_key_fails_the_target_before_launch(tmp_path: Path) -> None:
    backend = FakeBackend({"a": ([], 0, {}), "b": ([], 0, {}), "c": ([], 0, {})})
    ex, events = _executor(tmp_path, backend)
    assert ex.run() == "failed"
    failed = [e for e in events if isinstance(e, NodeStateChanged) and e.status == "failed"]
    assert [e.node for e in failed] == ["c"] and "printed no metadata key 'score'" in failed[0].message
    assert "c" not in [s.node for s in backend.launched]


def test_a_crashing_backend_still_records_a_final_status(tmp_path: Path) -> None:
    backend = FakeBackend({"a": ([], -1, {}), "b": ([], 0, {}), "c": ([], 0, {})}, poll_error=True)
    ex, events = _executor(tmp_path, backend)
    with pytest.raises(RuntimeError, match="engine exploded"):
        ex.run()
    assert backend.terminated == ["a"] and backend.cleaned == ["a"]
    assert RunStore(tmp_path / "runs.sqlite3").run(ex.run_id)["status"] == "failed"
    assert isinstance(events[-1], RunFinished) and events[-1].status == "failed"


def test_cancel_terminates_running_and_cancels_pending(tmp_path: Path) -> None:
    backend = FakeBackend({"a": (["started"], -1, {}), "b": ([], 0, {}), "c": ([], 0, {})})
    events: list[object] = []

    def cancel_on_start(event: object) -> None:
        events.append(event)
        if isinstance(event, LogLine) and event.text == "started":
            ex.cancel()

    ex, _unused = _executor(tmp_path, backend, emit=cancel_on_start)
    assert ex.run() == "cancelled"
    assert backend.terminated == ["a"]
    assert events[-1].node_statuses == dict.fromkeys("abc", "cancelled")


def test_call_soon_reads_a_running_unit_on_the_loop_thread_and_fails_once_the_run_ended(
    tmp_path: Path,
) -> None:
    """What a debug session does to reach a running unit: ask the loop thread for its handle."""
    backend = FakeBackend({"a": (["started"], -1, {}), "b": ([], 0, {}), "c": ([], 0, {})})
    seen: list[object] = []
    started = threading.Event()

    def on_event(event: object) -> None:
        if isinstance(event, LogLine) and event.text == "started":
            started.set()

    ex, _events = _executor(tmp_path, backend, emit=on_event)
    worker = threading.Thread(target=lambda: seen.append(ex.run()))
    worker.start()
    assert started.wait(10)
    asked = ex.call_soon(lambda: (threading.current_thread().name, ex.state.running["a"].handle.spec.node))
    thread, node = asked.result(timeout=10)
    assert node == "a" and thread != threading.current_thread().name  # the loop's thread, not ours
    with pytest.raises(KeyError):
        ex.call_soon(lambda: ex.state.running["nope"]).result(timeout=10)  # the run goes on
    ex.cancel()
    worker.join(10)
    assert seen == ["cancelled"]
    with pytest.raises(RuntimeError, match="has ended"):
        ex.call_soon(lambda: None).result(timeout=1)
