"""The facade the designer (and the CLI) use to run pipelines. No Qt in here.

    handle = start_run("valohai.yaml", pipeline="train", on_event=print)
    handle.cancel(); status = handle.wait()

Events are delivered to ``on_event`` (called on the runner thread: keep it quick) and to the
thread-safe ``handle.events`` queue, which ends with a RunFinished event.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.config import LoadedConfig, lint, load
from runner.events import Event, LogLine
from runner.execution.code import HOME_MARKER
from runner.execution.engine_check import (
    EngineReport,
    EngineState,
    check_configured_engine,
    check_engine,
    engine_inventory,
    fix_command,
)
from runner.execution.engine_errors import (
    EngineProblem,
    ProblemKind,
    describe_engine_error,
    explain_engine_error,
)
from runner.execution.executor import Emit, Executor, RunOptions, new_run_id
from runner.execution.factory import make_backend, make_host_pool, recover_interrupted
from runner.execution.plan import PlanError, RunPlan, plan_pipeline, plan_step
from runner.execution.staleness import definition_changes, plan_changes
from runner.settings import (
    THEMES,
    Settings,
    SettingsError,
    load_settings,
    run_target_hosts,
    save_settings,
    settings_path,
)
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore
from runner.store.paths import data_dir as default_data_dir

IMAGE_MAP_ENV = "PIPELINE_DESIGNER_IMAGE_MAP"

__all__ = [
    "THEMES",
    "EngineProblem",
    "EngineReport",
    "EngineState",
    "LoadedConfig",
    "ProblemKind",
    "RunHandle",
    "RunOptions",
    "Settings",
    "SettingsError",
    "check_configured_engine",
    "check_engine",
    "definition_changes",
    "describe_engine_error",
    "engine_inventory",
    "explain_engine_error",
    "fix_command",
    "image_map_from_env",
    "lint",
    "load",
    "load_settings",
    "open_store",
    "plan_changes",
    "plan_run",
    "run_target_hosts",
    "save_settings",
    "settings_path",
    "start_run",
]

MAX_UNREAD_AFTER_RUN = 10_000  # queued events a finished run's handle keeps for a reader


def __getattr__(name: str) -> Any:
    """``runner.api.hosts``: host management (runner.hosts.service), imported on first use
    because it pulls in paramiko and the Docker SDK."""
    if name == "hosts":
        from runner.hosts import service

        return service
    if name == "debug":  # shells in a node's world, failures, debugger attach (runner.debug.service)
        from runner.debug import service as debug_service

        return debug_service
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def image_map_from_env(text: str | None = None) -> dict[str, str]:
    """``"python:3.12-slim=local/python:1,busybox=local/busybox:1"`` -> mapping."""
    text = os.environ.get(IMAGE_MAP_ENV, "") if text is None else text
    return parse_image_map([p for p in text.split(",") if p.strip()])


def parse_image_map(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        source, eq, target = pair.strip().partition("=")
        if not eq or not source or not target:
            raise ValueError(f"image map entry {pair!r} is not FROM=TO")
        out[source] = target
    return out


def open_store(home: Path | None = None) -> tuple[Path, RunStore, ArtifactStore]:
    home = home or default_data_dir()
    home.mkdir(parents=True, exist_ok=True)
    (home / HOME_MARKER).touch()
    return home, RunStore(home / "runs.sqlite3"), ArtifactStore(home / "artifacts")


def plan_run(
    source: str | Path | LoadedConfig,
    pipeline: str | None = None,
    step: str | None = None,
    params: dict[str, Any] | None = None,
    inputs: dict[str, list[str]] | None = None,
) -> RunPlan:
    """Plan a pipeline or a single step of a YAML file or an already loaded config.

    The designer passes ``document.loaded`` (unsaved edits included); its code folder is the
    folder of the document's file. Raises ConfigLoadError, PlanError or ValueError.
    """
    loaded = source if isinstance(source, LoadedConfig) else load(Path(source))
    if (pipeline is None) == (step is None):
        raise ValueError("give exactly one of pipeline or step")
    if loaded.config is None:
        raise PlanError(
            f"{loaded.display_name}: not a valid valohai.yaml ({loaded.parse_error or 'not a list'}); "
            "run `pipeline-designer lint` for details"
        )
    if pipeline is not None:
        plan = plan_pipeline(loaded.config, pipeline, loaded.root_dir, params)
    else:
        assert step is not None
        plan = plan_step(loaded.config, step, loaded.root_dir, params, inputs)
    plan.yaml_path = loaded.path
    return plan


@dataclass
class RunHandle:
    run_id: str
    executor: Executor
    events: queue.Queue[Event] = field(default_factory=queue.Queue)
    status: str | None = None
    error: BaseException | None = None
    notes: list[str] = field(default_factory=list)  # start-up notes (hosts left out, leftovers removed)
    _thread: threading.Thread | None = None

    def cancel(self) -> None:
        self.executor.cancel()

    def stop_endpoints(self) -> None:
        """Stop and remove the run's endpoint containers (they serve after the run until this);
        emits EndpointStopped for each. Deployments still starting give up."""
        self.executor.deployments.stop_all()

    def approve(self, node: str) -> None:
        """Thread-safe: let a node awaiting approval go on (ValueError if it is not waiting)."""
        self.executor.actions.approve(node)

    def reject(self, node: str, message: str = "rejected") -> None:
        """Thread-safe: fail a node awaiting approval with ``message``; its descendants are skipped."""
        self.executor.actions.reject(node, message)

    def awaiting_approval(self) -> dict[str, str]:
        """Nodes awaiting approval now -> "node-starting" or "node-complete"."""
        return self.executor.actions.awaiting()

    def wait(self, timeout: float | None = None) -> str | None:
        """The run's final status, or None if still running after ``timeout``."""
        if self._thread is not None:
            self._thread.join(timeout)
        if self.error is not None:
            raise self.error
        return self.status

    @property
    def done(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()


def start_run(
    plan: RunPlan,
    options: RunOptions | None = None,
    backend: str = "docker",
    network: str | None = None,
    pull: str = "missing",
    home: Path | None = None,
    on_event: Emit | None = None,
    client: Any = None,
    hosts: list[str] | None = None,
    approve: Iterable[str] = (),
    approve_all: bool = False,
) -> RunHandle:
    """Start a run on a worker thread and return at once.

    ``hosts``: None or ["local"] runs on the local engine with ``backend``; otherwise the
    registered hosts (and "local") named, reached over SSH. Connecting happens here, so an
    unreachable host or an untrusted host key raises (HostError / HostKeyError) at once.
    ``approve`` / ``approve_all``: require-approval actions of these (all) nodes pass without
    asking (ValueError for an unknown node).
    """
    options = options or RunOptions()
    approve = list(approve)
    unknown = sorted(set(approve) - set(plan.nodes))
    if unknown:
        raise ValueError(f"--approve: no node {', '.join(unknown)} (nodes: {', '.join(plan.nodes)})")
    home, store, artifacts = open_store(home)
    recover_interrupted(store, home, client)
    if hosts and hosts != ["local"]:
        try:
            impl: Any = make_host_pool(hosts, home, artifacts, store, network, pull, local_client=client)
        except BaseException:
            store.close()
            raise
    else:
        impl = make_backend(backend, home, artifacts, network=network, pull=pull, client=client)
    holder: dict[str, RunHandle] = {}

    def emit(event: Event) -> None:
        events = holder["h"].events
        # Endpoints outlive the run and keep logging; a handle nobody reads any more (the run is
        # over) must not grow without bound: past this many, such lines go to the log file only.
        if not (isinstance(event, LogLine) and holder["h"].status and events.qsize() > MAX_UNREAD_AFTER_RUN):
            events.put(event)
        if on_event is not None:
            on_event(event)

    executor = Executor(plan, impl, store, artifacts, home, options, emit, new_run_id())
    executor.actions.preapprove(approve, approve_all)
    handle = RunHandle(executor.run_id, executor, notes=list(getattr(impl, "notes", [])))
    holder["h"] = handle

    def work() -> None:
        try:
            handle.status = executor.run()
        except BaseException as exc:  # surfaced by wait()
            handle.error = exc
        finally:
            store.close()
            if hasattr(impl, "close"):
                impl.close()

    handle._thread = threading.Thread(target=work, name=f"run-{executor.run_id}", daemon=True)
    handle._thread.start()
    return handle
