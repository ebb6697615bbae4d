"""One triggered run: plan the pipeline anew from the YAML on disk, run it with reuse, summarize.

Planning every time picks up edits to the YAML; a YAML that no longer loads or plans gives a
"not started" summary with the reason instead of an exception, so the watch goes on.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.events import OK_STATUSES, REUSED, ApprovalRequested, Event, RunFinished

NOT_STARTED = "not started"


@dataclass(frozen=True)
class RunSummary:
    reason: str
    status: str  # a run status, or NOT_STARTED
    run_id: str | None = None
    nodes: int = 0
    reused: int = 0
    seconds: float = 0.0
    message: str = ""  # why it did not start, or which nodes failed

    def line(self) -> str:
        stamp = time.strftime("%H:%M:%S")
        if self.status == NOT_STARTED:
            return f"{stamp} [{self.reason}] not started: {self.message}"
        tail = f"; {self.message}" if self.message else ""
        nodes = f"{self.nodes} node" + ("" if self.nodes == 1 else "s")
        return (
            f"{stamp} [{self.reason}] run {self.run_id}: {self.status} "
            f"({nodes}, {self.reused} reused, {self.seconds:.1f}s){tail}"
        )


@dataclass
class PipelineRunner:
    """Callable ``runner(reason) -> RunSummary``; blocks until the run ends.

    Ctrl-C (KeyboardInterrupt) during a run cancels it, waits for the containers to stop and
    re-raises, so a stopped watch never leaves containers behind.
    """

    yaml_path: Path
    pipeline: str
    params: dict[str, Any] = field(default_factory=dict)
    image_map: dict[str, str] = field(default_factory=dict)
    start_kwargs: dict[str, Any] = field(default_factory=dict)  # backend, network, pull, hosts, home
    labels: dict[str, str] = field(default_factory=dict)

    def plan(self) -> Any:
        """The plan from the YAML as it is now; raises ConfigLoadError, PlanError or ValueError."""
        from runner.api import plan_run
        from runner.cli.run_args import param_values

        params = param_values(list(self.params.items()))  # saved as the text given to --param
        return plan_run(self.yaml_path, pipeline=self.pipeline, params=params)

    def __call__(self, reason: str) -> RunSummary:
        from runner.api import RunOptions, describe_engine_error, start_run
        from runner.config import ConfigLoadError
        from runner.execution.plan import PlanError

        try:
            plan = self.plan()
        except ConfigLoadError as exc:
            return RunSummary(reason, NOT_STARTED, message=exc.format().replace("\n", " | "))
        except (PlanError, ValueError) as exc:
            return RunSummary(reason, NOT_STARTED, message=str(exc))
        options = RunOptions(reuse=True, image_map=dict(self.image_map), labels=dict(self.labels))
        finished: list[RunFinished] = []
        asked: list[str] = []  # require-approval actions not approved in advance

        def on_event(event: Event) -> None:
            if isinstance(event, RunFinished):
                finished.append(event)
            elif isinstance(event, ApprovalRequested):
                asked.append(event.node)

        t0 = time.monotonic()
        try:
            handle = start_run(plan, options, on_event=on_event, **self.start_kwargs)
        except Exception as exc:  # engine unreachable and the like: try again at the next fire
            return RunSummary(reason, NOT_STARTED, message=f"cannot start: {describe_engine_error(exc)}")
        try:
            status = _wait(handle, asked)
        except KeyboardInterrupt:
            handle.cancel()
            _wait(handle, [])
            raise
        statuses = finished[-1].node_statuses if finished else {}
        bad = [f"{n} {s}" for n, s in statuses.items() if s not in OK_STATUSES]
        return RunSummary(
            reason,
            status,
            handle.run_id,
            nodes=len(statuses),
            reused=sum(s == REUSED for s in statuses.values()),
            seconds=time.monotonic() - t0,
            message=", ".join(bad),
        )


def _wait(handle: Any, asked: list[str]) -> str:
    # Sleep, never join, while the run goes on: a signal that interrupts Thread.join() makes
    # Python 3.11 take the thread for finished (bpo-45274), and the cancel would not be waited for.
    while not handle.done:
        while asked:  # a watch runs unattended: an approval nobody gave in advance is refused
            node = asked.pop(0)
            with contextlib.suppress(ValueError):  # answered meanwhile (cancelled, stopped)
                handle.reject(node, f"needs approval; watch runs unattended: pass --approve {node}")
        time.sleep(0.1)
    return handle.wait() or "failed"
