"""Running a pipeline in process for the Ray tests, and reading back where its nodes ran."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.api import RunOptions, plan_run, start_run
from runner.events import Event, LogLine, NodeStateChanged, SystemSample, SystemSampled

PLACED = re.compile(r"running on worker node .* node ([0-9a-f]{12})\)(?: with GPU\(s\) ([0-9,]+))?")


def unit_name(node: str, child: int | None) -> str:
    return node if child is None else f"{node}#{child}"


@dataclass
class RunRecord:
    """What a run published: its lines and node states per unit (``node`` or ``node#k``)."""

    run_id: str = ""
    status: str | None = None
    lines: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    states: dict[str, list[NodeStateChanged]] = field(default_factory=dict)
    system: dict[str, list[SystemSample]] = field(default_factory=dict)  # its system samples
    gpu_notes: dict[str, str] = field(default_factory=dict)  # why a unit has no GPU figures
    changed: threading.Condition = field(default_factory=threading.Condition)

    def on_event(self, event: Event) -> None:
        with self.changed:
            if isinstance(event, LogLine):
                unit = unit_name(event.node, event.child)
                self.lines.setdefault(unit, []).append((event.stream, event.text))
            elif isinstance(event, NodeStateChanged):
                self.states.setdefault(unit_name(event.node, event.child), []).append(event)
            elif isinstance(event, SystemSampled):
                unit = unit_name(event.node, event.child)
                self.system.setdefault(unit, []).extend(event.samples)
                self.gpu_notes[unit] = event.gpu_note
            self.changed.notify_all()

    def text(self, unit: str, stream: str | None = None) -> str:
        return "\n".join(t for s, t in self.lines.get(unit, []) if stream is None or s == stream)

    def final(self, unit: str) -> NodeStateChanged:
        return self.states[unit][-1]

    def placed(self, unit: str) -> tuple[str, tuple[str, ...]]:
        """The 12-character Ray node id ``unit`` ran on and the GPU ids it was given."""
        for stream, text in self.lines.get(unit, []):
            match = PLACED.search(text) if stream == "runner" else None
            if match:
                return match.group(1), tuple(filter(None, (match.group(2) or "").split(",")))
        raise AssertionError(f"{unit} was never placed:\n{self.text(unit)}")

    def wait_for(self, check: Callable[[], bool], timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(check, timeout)


def start(yaml_path: Path, pipeline: str, hosts: list[str], record: RunRecord, **options: Any) -> Any:
    plan = plan_run(yaml_path, pipeline=pipeline)
    opts = RunOptions(concurrency=options.pop("concurrency", 64), **options)
    handle = start_run(plan, opts, hosts=hosts, on_event=record.on_event)
    record.run_id = handle.run_id
    return handle


def run(yaml_path: Path, pipeline: str, hosts: list[str], timeout: float = 180, **options: Any) -> RunRecord:
    record = RunRecord()
    handle = start(yaml_path, pipeline, hosts, record, **options)
    record.status = handle.wait(timeout)
    assert record.status is not None, f"run still going after {timeout:g} s: {record.lines}"
    return record
