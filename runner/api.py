"""The runner's public API: what the designer (and scripts) use. No Qt in here.

    handle = start_run("valohai.yaml", pipeline="train", on_event=print)
    handle.cancel(); status = handle.wait()

Events (``runner.events``, frozen dataclasses, the other public module) are delivered to
``on_event`` (called on the runner thread: keep it quick) and to the thread-safe
``handle.events`` queue, which ends with a RunFinished event.

Besides running, it names the model (load, lint, the edit functions, the typed views), the run
history's helpers and host management. ``designer/`` imports the runner only from here and
``runner.events``; an import-linter contract in pyproject.toml holds it to that
(docs/architecture.md, "Packages and their rules").
"""

from __future__ import annotations

import contextlib
import importlib
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.config import ConfigLoadError, Diagnostic, LoadedConfig, lint, load, load_text
from runner.config.checks import ALLOWED_TARGETS
from runner.config.diagnostics import has_errors
from runner.config.errors import CycleError, EdgeError, EditError
from runner.config.sockets import ResolvedEdge, resolve_edges
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
from runner.execution.event_queue import EventQueue
from runner.execution.executor import Emit, Executor, RunOptions, new_run_id
from runner.execution.factory import make_backend, make_host_pool, recover_interrupted
from runner.execution.gc_pace import pace_for_streaming
from runner.execution.inputs import safe_file_name
from runner.execution.naming import is_earlier_attempt, split_unit, unit_name
from runner.execution.plan import LintRefused, PlanError, RunPlan, plan_pipeline, plan_step
from runner.execution.staleness import definition_changes, plan_changes
from runner.execution.sweep import SweepError, expand_blueprint
from runner.metadata import latest_values, numeric, parse_metadata_line, rank_children, record_time
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
from runner.store.health import StoreFull
from runner.store.metric_index import last_values as metric_last_values
from runner.store.paths import data_dir
from runner.store.schema import StoreError

# name -> (module, attribute; None: the module itself), imported on first use: ruamel.yaml for
# the edits, paramiko and the Docker SDK for hosts and debugging.
_LAZY: dict[str, tuple[str, str | None]] = {
    **{name: (f"runner.config.{name}", None) for name in ("edits", "endpoint_edits", "node_edits")},
    **{name: (f"runner.config.{name}", None) for name in ("pipeline_edits", "task_edits")},
    "YamlDocument": ("runner.config.document", "YamlDocument"),
    # Where items live in a file's data (node bodies, steps, paths), and plain data of a tree.
    "query": ("runner.config.query", None),
    **{name: ("runner.config.document", name) for name in ("atomic_write", "to_plain")},
    "read_text": ("runner.config.loader", "read_text"),
    "Layout": ("runner.config.sidecar", "Layout"),
    "SidecarError": ("runner.config.sidecar", "SidecarError"),
    "layered_layout": ("runner.dag.layout", "layered_layout"),
    "PipelineGraph": ("runner.dag.graph", "PipelineGraph"),  # networkx: ~0.1 s to import
    "debug": ("runner.debug.service", None),  # shells in a node's world, failures, debugger attach
    "hosts": ("runner.hosts.service", None),  # host management
    "HostReport": ("runner.hosts.health", "HostReport"),
    "ClusterReport": ("runner.ray.service", "ClusterReport"),  # a Ray cluster's test report
    "describe_cluster": ("runner.ray.service", "describe"),
    "HostKeyError": ("runner.hosts.known_hosts", "HostKeyError"),
    **{name: ("runner.hosts.registry", name) for name in ("HostConfig", "HostConfigError", "HostRegistry")},
    "SecretStoreError": ("runner.hosts.secrets", "SecretStoreError"),
    **{name: ("runner.hosts.errors", name) for name in ("HostAuthError", "HostError")},
    **{name: ("runner.triggers", name) for name in ("Trigger", "TriggerError", "load_triggers")},
    **{name: ("runner.triggers", name) for name in ("remove_trigger", "save_trigger", "stored_path")},
    # What the store says about runs: side by side (diff), where files came from (lineage).
    "compare": ("runner.store.compare", None),
    "lineage": ("runner.store.lineage", None),
    "gc": ("runner.store.gc", None),  # deleting runs and the files nothing needs any more
    "leftovers": ("runner.execution.leftovers", None),  # and the containers of runs deleted or killed
    **{name: ("runner.execution.reproduce", name) for name in ("ReproduceError", "Reproduction")},
}

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
    "ALLOWED_TARGETS",
    "ConfigLoadError",
    "CycleError",
    "Diagnostic",
    "EdgeError",
    "EditError",
    "LintRefused",
    "PlanError",
    "ResolvedEdge",
    "RunPlan",
    "StoreError",
    "SweepError",
    "data_dir",
    "expand_blueprint",
    "has_errors",
    "image_map_from_env",
    "is_earlier_attempt",
    "latest_values",
    "metric_last_values",
    "numeric",
    "record_time",
    "lint",
    "load",
    "load_settings",
    "open_store",
    "plan_changes",
    "plan_run",
    "run_target_hosts",
    "save_settings",
    "settings_path",
    "load_text",
    "parse_metadata_line",
    "plan_reproduction",
    "rank_children",
    "resolve_edges",
    "safe_file_name",
    "split_unit",
    "start_run",
    "unit_name",
    *_LAZY,
]

MAX_UNREAD_AFTER_RUN = 10_000  # queued events a finished run's handle keeps for a reader


def __getattr__(name: str) -> Any:
    """The names of ``_LAZY``, imported on first use (``from runner.api import hosts`` too)."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


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
    home = home or data_dir()
    home.mkdir(parents=True, exist_ok=True)
    (home / HOME_MARKER).touch()
    store = RunStore(home / "runs.sqlite3")
    # A run whose process is gone reads as interrupted, at once; on a full disk reading goes on
    # (gc can free it) and the run is marked once there is room.
    with contextlib.suppress(StoreFull):
        store.mark_dead_runs()
    return home, store, ArtifactStore(home / "artifacts")


def plan_run(
    source: str | Path | LoadedConfig,
    pipeline: str | None = None,
    step: str | None = None,
    params: dict[str, Any] | None = None,
    inputs: dict[str, list[str]] | None = None,
) -> RunPlan:
    """Plan a pipeline or a single step of a YAML file or an already loaded config.

    The designer passes ``document.loaded`` (unsaved edits included); its code folder is the
    folder of the document's file. Raises ConfigLoadError, PlanError (LintRefused when lint finds
    errors: nothing runs from a config lint refuses) or ValueError.
    """
    loaded = source if isinstance(source, LoadedConfig) else load(Path(source))
    if (pipeline is None) == (step is None):
        raise ValueError("give exactly one of pipeline or step")
    errors = [d for d in lint(loaded) if d.severity == "error"]
    if errors:
        raise LintRefused(loaded.display_name, errors)
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
    # Absolute, so that a run's history belongs to its file whatever folder it was started from.
    plan.yaml_path = loaded.path.resolve() if loaded.path else None
    plan.yaml_text = loaded.text
    return plan


@dataclass
class RunHandle:
    run_id: str
    executor: Executor
    events: EventQueue[Event] = field(default_factory=EventQueue)
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

    def set_parameters(self, node: str, values: dict[str, Any], timeout: float = 10) -> None:
        """Thread-safe: parameter values for ``node`` when it starts (a node paused before its start
        runs with them once continued); ValueError for an unknown node."""
        self.executor.call_soon(lambda: self.executor.set_parameters(node, dict(values))).result(timeout)

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


def plan_reproduction(target: str, home: Path | None = None) -> Any:
    """A ``Reproduction`` of ``RUN`` or ``RUN/NODE`` (runner.execution.reproduce): its ``plan`` and
    ``options()`` go to ``start_run``; ``check_in_store(run_id, home)`` then says, per execution,
    whether outputs and final metrics came out identical. Raises ReproduceError."""
    from runner.execution.reproduce import plan_reproduction as plan

    _home, store, artifacts = open_store(home)
    try:
        return plan(store, artifacts, target)
    finally:
        store.close()


def _engine_client() -> Any:
    """The local engine's client, or None when it cannot be reached (whoever needs it then
    says why: the recovery goes on without it, the backend raises the engine's error)."""
    from runner.execution.docker_backend import docker_client

    try:
        return docker_client()
    except Exception:
        return None


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
    pace_for_streaming()
    approve = list(approve)
    unknown = sorted(set(approve) - set(plan.nodes))
    if unknown:
        raise ValueError(f"--approve: no node {', '.join(unknown)} (nodes: {', '.join(plan.nodes)})")
    if options.debug_nodes and network == "none":  # it would wait for a debugger that cannot reach it
        raise ValueError(
            "--debug needs a network: the debugger's port is published on 127.0.0.1 (drop --network none)"
        )
    if options.pycharm is not None and options.debug_nodes:  # before anything starts: it may fail
        from dataclasses import replace

        from runner.debug.pydevd_package import ready_target

        options = replace(options, pycharm=ready_target(options.pycharm, home or data_dir()))
    from runner.store import space

    space.check(home or data_dir(), 0)  # a full disk is said before anything starts (DiskFull)
    home, store, artifacts = open_store(home)
    if client is None and backend != "local" and (not hosts or hosts == ["local"]):
        client = _engine_client()  # one engine handshake for the recovery and the run
    recover_interrupted(store, home, client)
    run_id = new_run_id()
    if hosts and hosts != ["local"]:
        try:
            impl: Any = make_host_pool(
                hosts, home, artifacts, store, network, pull, local_client=client, run_id=run_id
            )
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

    def emit_batch(batch: list[Event]) -> None:
        if holder["h"].status:  # the run is over: one at a time, past the cap on unread lines
            for event in batch:
                emit(event)
            return
        holder["h"].events.put_many(batch)
        if on_event is not None:
            for event in batch:
                on_event(event)

    executor = Executor(plan, impl, store, artifacts, home, options, emit, run_id, emit_batch)
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
