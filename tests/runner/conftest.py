"""Runner test helpers: a private data dir per test and a one-call way to run a YAML."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from runner.events import Event, MetadataRecord, NodeStateChanged
from tests.support.images import IMAGE_MAP


@dataclass
class Outcome:
    run_id: str
    status: str
    events: list[Event] = field(default_factory=list)

    def statuses(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for e in self.events:
            if isinstance(e, NodeStateChanged):
                out[e.node] = e.status
        return out

    def metadata(self, node: str) -> list[dict[str, Any]]:
        return [e.record for e in self.events if isinstance(e, MetadataRecord) and e.node == node]

    def node_event(self, node: str, status: str) -> NodeStateChanged:
        return next(
            e
            for e in self.events
            if isinstance(e, NodeStateChanged) and e.node == node and e.status == status
        )


@pytest.fixture
def run_yaml(home: Path, docker_client: Any, container_label: dict[str, str]) -> Callable[..., Outcome]:
    """Run a pipeline/step on the real engine (network none, never pull) and check nothing is left."""
    from runner.api import RunOptions, plan_run, start_run

    def run(
        path: Path,
        pipeline: str | None = None,
        step: str | None = None,
        params: dict[str, Any] | None = None,
        inputs: dict[str, list[str]] | None = None,
        backend: str = "docker",
        timeout: float = 120,
        on_event: Callable[[Event], None] | None = None,
        **options: Any,
    ) -> Outcome:
        plan = plan_run(path, pipeline=pipeline, step=step, params=params, inputs=inputs)
        opts = RunOptions(image_map=IMAGE_MAP, labels=container_label, **options)
        events: list[Event] = []

        def collect(event: Event) -> None:
            events.append(event)
            if on_event:
                on_event(event)

        handle = start_run(
            plan, opts, backend=backend, network="none", pull="never", client=docker_client, on_event=collect
        )
        status = handle.wait(timeout)
        assert status is not None, "run did not finish in time"
        left = docker_client.containers.list(
            all=True, filters={"label": f"pipeline-designer.run-id={handle.run_id}"}
        )
        assert left == [], f"containers left behind: {[c.name for c in left]}"
        return Outcome(handle.run_id, status, events)

    return run
