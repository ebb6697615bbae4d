"""The executor with a HostPool of fake per-host backends: GPU placement, max-parallel, reporting."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import valohai_yaml

from runner.events import LogLine, NodeStateChanged
from runner.execution.backend import Handle, Poll, poll_handle
from runner.execution.executor import Executor, RunOptions
from runner.execution.placement import Slot
from runner.execution.plan import plan_pipeline
from runner.execution.remote_backend import HostPool
from runner.execution.spec import ExecutionSpec, OutputFile
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore

YAML = """
- step: {name: cpu, image: img, command: run}
- step:
    name: gpu
    image: img
    command: train
    resources: {devices: {nvidia.com/gpu: 2}}
- step: {name: mapped, image: img, command: run, environment: big-gpu}
- step:
    name: huge
    image: img
    command: train
    resources: {devices: {nvidia.com/gpu: 8}}
- pipeline:
    name: p
    nodes:
      - {name: c1, step: cpu, type: execution}
      - {name: c2, step: cpu, type: execution}
      - {name: c3, step: cpu, type: execution}
      - {name: g1, step: gpu, type: execution}
      - {name: g2, step: gpu, type: execution}
      - {name: m, step: mapped, type: execution}
    edges: []
- pipeline:
    name: too-big
    nodes:
      - {name: h, step: huge, type: execution, on-error: stop-next}
      - {name: c, step: cpu, type: execution}
    edges: []
"""


class TimedBackend:
    """Each launch runs for ``seconds`` on a timer; records where and with which GPUs."""

    isolated = True

    def __init__(self, name: str, seconds: float = 0.3) -> None:
        self.name = name
        self.seconds = seconds
        self.launched: list[tuple[str, tuple[str, ...]]] = []
        self.running = 0
        self.peak = 0
        self.report = None
        self._lock = threading.Lock()

    def launch(self, spec: ExecutionSpec, wakeup: threading.Event | None = None) -> Handle:
        handle = Handle(spec, wakeup=wakeup)
        with self._lock:
            self.launched.append((spec.node, spec.gpu_ids))
            self.running += 1
            self.peak = max(self.peak, self.running)
        if self.report is not None:
            self.report(spec.node, f"sending to {self.name}: 1.0/1.0 MB")

        def done() -> None:
            with self._lock:
                self.running -= 1
            handle.finish(0)

        threading.Timer(self.seconds, done).start()
        return handle

    def poll(self, handle: Handle) -> Poll:
        return poll_handle(handle)

    def terminate(self, handle: Handle, grace: float = 2.0) -> None:
        handle.finish(137)

    def collect(self, handle: Handle, artifacts: ArtifactStore, warn: object) -> list[OutputFile]:
        return []

    def cleanup(self, handle: Handle) -> None:
        pass

    def remove_leftovers(self, run_id: str) -> int:
        return 0


def _run(tmp_path: Path, pipeline: str) -> tuple[str, dict[str, TimedBackend], list[object]]:
    backends = {"cpu": TimedBackend("cpu"), "gpu": TimedBackend("gpu")}
    pool = HostPool(
        backends,  # type: ignore[arg-type]
        [Slot("cpu", 2), Slot("gpu", 2, gpu_ids=("0", "1", "2"), environments=("big-gpu",))],
    )
    (tmp_path / "code").mkdir(exist_ok=True)
    plan = plan_pipeline(valohai_yaml.parse(YAML), pipeline, tmp_path / "code")
    events: list[object] = []
    store = RunStore(tmp_path / "runs.sqlite3")
    ex = Executor(plan, pool, store, ArtifactStore(tmp_path / "a"), tmp_path, RunOptions(reuse=False),
                  events.append)  # fmt: skip
    status = ex.run()
    store.close()
    return status, backends, events


def test_gpu_steps_go_to_gpu_hosts_with_their_own_gpus_and_limits_hold(tmp_path: Path) -> None:
    t0 = time.monotonic()
    status, backends, events = _run(tmp_path, "p")
    assert status == "succeeded"
    gpu = dict(backends["gpu"].launched)
    assert {"g1", "g2", "m"} <= gpu.keys()
    assert len(gpu["g1"]) == 2 and len(gpu["g2"]) == 2 and len(gpu["m"]) == 1
    # g1 and g2 need 2 of 3 GPUs each: never at the same time, so their GPUs may repeat.
    assert backends["cpu"].peak <= 2 and backends["gpu"].peak <= 2
    assert {n for n, _ in backends["cpu"].launched} <= {"c1", "c2", "c3"}
    starts = [e.text for e in events if isinstance(e, LogLine) and e.text.startswith("starting")]
    assert any("on host gpu with GPU(s) " in t for t in starts), starts
    notes = [e for e in events if isinstance(e, LogLine) and e.text.startswith("sending to")]
    assert len(notes) == 6  # backend progress reaches the node logs, from the launch threads
    store = RunStore(tmp_path / "runs.sqlite3")
    hosts = {e["node"]: e["host"] for e in store.executions(store.runs(1)[0]["id"])}
    assert hosts["g1"] == "gpu" and hosts["m"] == "gpu"
    assert time.monotonic() - t0 < 10


def test_a_node_no_host_can_take_fails_with_the_reason(tmp_path: Path) -> None:
    status, backends, events = _run(tmp_path, "too-big")
    assert status == "failed"
    finals = {
        e.node: e for e in events if isinstance(e, NodeStateChanged) and e.status in ("failed", "succeeded")
    }
    assert finals["h"].status == "failed" and "needs 8 GPU(s)" in finals["h"].message
    assert finals["c"].status == "succeeded"
    assert all(n != "h" for b in backends.values() for n, _ in b.launched)
