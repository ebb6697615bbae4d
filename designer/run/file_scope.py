"""The run docks follow the open file: its runs only, never another file's. Mixed into ``RunUI``.

Badges, logs, metric series, the progress bar and the Runs browser show the run the current
file shows (``FileRuns``); a run going on for another file keeps running and writing to the
store, and its file shows it again when it is reopened.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QProgressBar

from designer.bridge.file_runs import FileRuns, file_key
from designer.bridge.history import RunHistory
from designer.bridge.run_controller import RunController
from designer.run.metrics_dock import MetricsPanel
from designer.run.runs_browser import RunsBrowser

NO_RUN = ""  # the run id the state models get while the file shows no run: every event is another's


class FileScope:
    window: Any
    history: RunHistory
    controller: RunController
    metrics: MetricsPanel
    runs: RunsBrowser
    progress: QProgressBar
    file_runs: FileRuns
    _file: str  # the key of the file on screen
    _run_file: str | None  # the key of the file the run going on (or last started) came from

    def _on_selection(self) -> None:
        raise NotImplementedError

    def _update_progress(self) -> None:
        raise NotImplementedError

    @property
    def shown_run(self) -> str | None:
        """The run the current file shows (None: none yet in this session)."""
        return self.file_runs.shown(self._file)

    @shown_run.setter
    def shown_run(self, run_id: str | None) -> None:
        self.file_runs.show(self._file, run_id)

    def is_here(self, run_id: str | None) -> bool:
        """Whether a run's events show here: not when it ran from another file."""
        owner = self.file_runs.file_of(run_id)
        return owner is None or owner == self._file

    def live_here(self) -> bool:
        """A run is going on, and it is this file's."""
        return self.controller.busy and self._run_file == self._file

    def _follow_file(self) -> None:
        """Another file is open (or the same one got a new name): show that file's runs."""
        file = file_key(self.window.document.path)
        if file == self._file:
            return
        self._file = file
        self.metrics.clear()  # series of runs of the file we left
        self.runs.set_file(file)
        run = self.shown_run
        if run is not None and (self.live_here() or self.history.run(run) is not None):
            self._display_run(run)
        else:
            self.controller.states.reset(NO_RUN)
            self.controller.details.reset(NO_RUN)
            self._on_selection()
        self.progress.setVisible(self.live_here())
        if self.live_here():
            self._update_progress()

    def _display_run(self, run_id: str) -> None:
        """Badges, logs and metrics of ``run_id`` (live events keep coming for the run going on)."""
        executions = self.history.executions(run_id)
        self.controller.states.load_executions(run_id, executions)
        self.controller.details.load_executions(run_id, executions)
        self._load_metrics(run_id, executions)
        self.metrics.show_only({(run_id, e["node"]) for e in executions})
        self.shown_run = run_id
        self._on_selection()

    def _load_metrics(self, run_id: str, executions: list[dict[str, Any]]) -> None:
        """A past run's metric series from the store (unchecked; the caller picks what shows)."""
        for e in executions:
            if (run_id, e["node"]) not in self.metrics.sources:
                stored = self.history.metric_series(e["id"])  # per-key blocks: no JSON decoded
                if stored.records:
                    self.metrics.load_stored(run_id, e["node"], stored, checked=False)
                samples, note = self.history.system_samples(e)
                if samples or note:
                    self.metrics.load_system(run_id, e["node"], samples, note, checked=False)

    def _open_file_of(self, run: dict[str, Any]) -> bool:
        """A run of another file (from "All files"): open that file first. False: not opened."""
        path = run.get("yaml_path")
        if not path or file_key(path) == self._file:
            return True
        files = getattr(self.window, "files", None)
        return files is not None and bool(files.open_path(path))
