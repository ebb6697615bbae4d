"""Containers of the tests' own runs, never "any container with this label": up to 8 sessions
share one engine, and another test's debug container must not fail this one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runner.debug.shell import DEBUG_LABEL
from runner.execution.spec import RUN_LABEL
from runner.store.db import RunStore


def debug_containers(docker_client: Any, *run_ids: str) -> list[str]:
    """Debug containers (shells) of these runs' executions (an execution id starts with its run id)."""
    found = docker_client.containers.list(all=True, ignore_removed=True, filters={"label": DEBUG_LABEL})
    return [c.name for c in found if c.labels.get(DEBUG_LABEL, "").startswith(run_ids)]


def run_containers(docker_client: Any, run_id: str, **labels: str) -> list[Any]:
    """The running containers of one run, optionally with more labels (``node="train"``)."""
    wanted = [f"{RUN_LABEL}={run_id}", *(f"pipeline-designer.{k}={v}" for k, v in labels.items())]
    return list(docker_client.containers.list(filters={"label": wanted}))


def store_run_ids(home: Path) -> list[str]:
    """The runs the test's own store (its private data dir) recorded, newest first."""
    store = RunStore(home / "runs.sqlite3")
    try:
        return [str(run["id"]) for run in store.runs(1000)]
    finally:
        store.close()
