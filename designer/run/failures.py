"""Finding what failed: Go to next failure, the failing log line on the badge, the fix offered in place.

``FailureFinder`` is given the pieces it reads (window, node states, logs, history, badges) and a
prompt; the run UI tells it when node states change and when a run ends. The line that says why
a node failed is ``runner.api.debug.last_error_line``, the one the failure view shows too; it is
given the step's own output and the runner's error lines, not its status lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

from designer.bridge.node_states import NodeStateModel
from designer.run.logs_panel import Line, LogsPanel, parse_log_text
from designer.run.run_icons import run_icon
from designer.run.status_badge import BadgeOverlay
from runner import api
from runner.api import ProblemKind, explain_engine_error

NEXT_FAILURE_KEY = "F8"
PREVIOUS_FAILURE_KEY = "Shift+F8"
FAILED = "failed"


class FailureFinder(QObject):
    def __init__(
        self,
        window: Any,
        states: NodeStateModel,
        logs: LogsPanel,
        history: Any,
        badges: BadgeOverlay,
        ask: Callable[[str, str], bool],
    ) -> None:
        super().__init__(window)
        self.window = window
        self.states = states
        self.logs = logs
        self.history = history
        self.badges = badges
        self.ask = ask  # (title, text) -> yes?; tests replace it
        self.open_preferences: Callable[[str], Any] = self._open_preferences
        self.next_action = self._action("Go to &Next Failure", NEXT_FAILURE_KEY, 1)
        self.previous_action = self._action("Go to &Previous Failure", PREVIOUS_FAILURE_KEY, -1)
        self.next_action.setIcon(run_icon("next-failure"))

    def install(self, events: Any, toolbar: Any, menu: Any, before: QAction) -> None:
        """Put the actions on the run toolbar and menu (before ``before``); follow states and zoom."""
        toolbar.addAction(self.next_action)
        menu.insertActions(before, [self.next_action, self.previous_action])
        menu.insertSeparator(before)
        events.states_changed.connect(self.on_states)
        self.window.view.zoom_changed.connect(self.badges.set_zoom)

    def _action(self, text: str, key: str, step: int) -> QAction:
        action = QAction(text, self.window)
        action.setShortcut(QKeySequence(key))
        tip = f"{text.replace('&', '')}: select the next failed node and centre it ({key})"
        action.setToolTip(tip if step > 0 else tip.replace("next", "previous"))
        action.setStatusTip(action.toolTip())
        action.triggered.connect(lambda _checked=False: self.go(step))
        return action

    # --- go to failure ----------------------------------------------------------------------------
    def failed_nodes(self) -> list[str]:
        """Failed nodes of the run on screen that are on the canvas, left to right, top to bottom."""
        items = getattr(self.window.scene, "node_items", {})
        failed = [n for n, s in self.states.states().items() if s.status == FAILED and n in items]
        return sorted(failed, key=lambda n: (round(items[n].pos().x()), round(items[n].pos().y()), n))

    def go(self, step: int = 1) -> str | None:
        """Select the next (``step`` 1) or previous (-1) failed node after the selection and centre it."""
        failed = self.failed_nodes()
        if not failed:
            self.window.statusBar().showMessage("No failed node in the run on screen.", 4000)
            return None
        selected = self.window.scene.selected_node_names()
        here = failed.index(selected[0]) if len(selected) == 1 and selected[0] in failed else None
        index = (0 if step > 0 else len(failed) - 1) if here is None else (here + step) % len(failed)
        node = failed[index]
        self.window.scene.select_node(node)
        item = self.window.scene.node_items[node]
        self.window.view.centerOn(item)
        line = self.badges.error_lines.get(node) or self.states.states()[node].message
        where = f"Failure {index + 1} of {len(failed)}: {node}"
        self.window.statusBar().showMessage(f"{where} — {line}" if line else where, 8000)
        return node

    # --- the failing line -------------------------------------------------------------------------
    def error_line(self, run_id: str, node: str) -> str | None:
        """The line of the node's log that says why it failed: from the live log, else its log file."""
        found = _last_error(self.logs.logs.get((run_id, node), []))
        if found is None:  # the live lines may still be on their way: the log file has them first
            row = self.history.execution(run_id, node)
            found = _last_error(parse_log_text(self.history.log_text(row))) if row else None
        return found

    def on_states(self, events: list[Any]) -> None:
        """A node of the run on screen failed: put its failing line on its badge."""
        for event in events:
            if getattr(event, "child", None) is None and event.status == FAILED:
                self.badges.set_error_line(event.node, self.error_line(event.run_id, event.node))

    def show_past_run(self, run_id: str) -> None:
        for node, state in self.states.states().items():
            if state.status == FAILED:
                self.badges.set_error_line(node, self.error_line(run_id, node))

    # --- the fix, offered ---------------------------------------------------------------------------
    def missing_images(self) -> list[str]:
        """Images the run on screen could not find on the engine (in node order, once each)."""
        found: list[str] = []
        for state in self.states.states().values():
            problem = explain_engine_error(state.message) if state.status == FAILED else None
            missing = problem is not None and problem.kind is ProblemKind.IMAGE_MISSING
            image = problem.image if problem is not None and missing else None
            if image and image not in found:
                found.append(image)
        return found

    def offer_image_map(self) -> str | None:
        """After a run: an image was missing and no registry reachable, so offer to map it."""
        images = self.missing_images()
        if not images:
            return None
        image = images[0]
        question = (
            f"The image {image} is not on the Docker engine and could not be pulled.\n\n"
            "Map it to an image you have built or loaded locally (Preferences ▸ Image mapping)? "
            "The command line uses the same mapping."
        )
        if self.ask("Image not found", question):
            self.open_preferences(image)
            return image
        return None

    def _open_preferences(self, image: str) -> Any:
        from designer.preferences import open_preferences

        if shiboken6.isValid(self.window):
            return open_preferences(self.window, map_image=image)
        return None


__all__ = ["FailureFinder"]


def _last_error(lines: list[Line]) -> str | None:
    told = [
        line.text
        for line in lines
        if (line.stream == "runner" and line.text.startswith("error"))
        or (line.stream != "runner" and not line.is_metadata)
    ]
    return api.debug.last_error_line(told) or None
