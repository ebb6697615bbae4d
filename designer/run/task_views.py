"""The run UI's views of a task node's executions, and approval notices. Mixed into ``RunUI``.

Selecting a task node gives the logs dock an execution picker ("all / #1 / #2 …") and the
metrics dock its overlay (one curve per execution) and ranking; a past run's executions come
from the store rows named ``<node>#<k>``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6

from designer.bridge.history import RunHistory
from designer.bridge.run_controller import RunController
from designer.bridge.run_details import format_params
from designer.run.logs_panel import Line, LogsPanel, parse_log_text
from designer.run.metrics_dock import MetricsPanel
from runner.api import unit_name
from runner.events import ApprovalRequested


class TaskViews:
    window: Any
    history: RunHistory
    controller: RunController
    logs: LogsPanel
    metrics: MetricsPanel
    shown_run: str | None
    _closed: bool
    notify: Callable[[str, str], None]

    def _live(self, run: str) -> bool:
        return self.controller.busy and self.controller.run_id == run

    def _load_execution_log(self, run: str, name: str) -> None:
        """A past run's log of a node (or of a task's execution "node#k"), read once."""
        if (run, name) in self.logs.logs or self._live(run):
            return
        execution = self.history.execution(run, name)
        if execution is not None:
            self.logs.set_log(run, name, parse_log_text(self.history.log_text(execution)))

    def _load_task_logs(self, run: str, node: str) -> None:
        """A past task's "all" view: its executions' logs one after the other, each line marked."""
        lines = []
        for k in range(1, self.controller.details.child_count(node) + 1):
            self._load_execution_log(run, unit_name(node, k))
            lines += [Line(x.stream, x.text, k) for x in self.logs.logs.get((run, unit_name(node, k)), [])]
        self.logs.set_log(run, node, lines)

    def _sync_task(self, run: str, node: str | None, full: bool) -> None:
        """The logs' execution picker and the metrics' overlay + ranking follow the selected task."""
        details = self.controller.details
        if node is None:
            self.logs.set_executions(run, "", [])
            self.metrics.clear_task()
            return
        count = details.child_count(node)
        children = details.children(node)
        params = {
            k: format_params(children[k - 1]) if k <= len(children) else "" for k in range(1, count + 1)
        }
        if full or self.logs.child_combo.count() != count + 1:
            self.logs.set_executions(run, node, [details.child_label(node, k) for k in range(1, count + 1)])
        if full or self.metrics.task != (run, node):
            self.metrics.show_task(run, node, params, details.child_statuses(node))
        else:
            ranking = self.metrics.ranking
            ranking.set_task(node, params, details.child_statuses(node), self.metrics.task_sources(run, node))
        values = {k: dict(children[k - 1]) for k in range(1, min(count, len(children)) + 1)}
        if values != self.metrics.ranking.values:
            self.metrics.ranking.set_values(values)

    def _on_task_events(self, _events: list[Any]) -> None:
        """A task's expansion, progress or executions' states: refresh its views if it is shown."""
        if self._closed or not shiboken6.isValid(self.window.scene):
            return
        names = self.window.scene.selected_node_names()
        run = self.shown_run
        if len(names) == 1 and run is not None and self.controller.details.is_task(names[0]):
            self._sync_task(run, names[0], full=self.metrics.task != (run, names[0]))

    def _on_approvals(self, events: list[Any]) -> None:
        for e in events:
            if isinstance(e, ApprovalRequested):
                reason = f": {e.reason}" if e.reason else ""
                self.notify("Approval needed", f"{e.node} awaits approval{reason}")
