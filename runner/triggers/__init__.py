"""Re-training triggers: run a pipeline when files change or on a schedule (``pipeline-designer watch``).

Headless (no Qt). ``schedule`` parses ``--every``/``--cron``; ``watcher`` notices real file
changes; ``loop`` waits for fires and runs; ``runs`` plans and runs the pipeline with reuse;
``definition`` saves triggers in the YAML's sidecar.
"""

from runner.triggers.definition import Trigger, load_triggers, remove_trigger, save_trigger, stored_path
from runner.triggers.loop import ChangeSource, ScheduleSource, WatchLoop
from runner.triggers.runs import NOT_STARTED, PipelineRunner, RunSummary
from runner.triggers.schedule import (
    Cron,
    Every,
    TriggerError,
    every_warning,
    explain_cron,
    format_duration,
    format_time,
    parse_cron,
    parse_every,
)
from runner.triggers.watcher import ChangeDetector

__all__ = [
    "NOT_STARTED",
    "ChangeDetector",
    "ChangeSource",
    "Cron",
    "Every",
    "PipelineRunner",
    "RunSummary",
    "ScheduleSource",
    "Trigger",
    "TriggerError",
    "WatchLoop",
    "every_warning",
    "explain_cron",
    "format_duration",
    "format_time",
    "load_triggers",
    "parse_cron",
    "parse_every",
    "remove_trigger",
    "save_trigger",
    "stored_path",
]
