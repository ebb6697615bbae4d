"""Runs belong to the file they ran from: which run each file shows, and whose a run is.

Opening another file must not show the first file's badges, logs and metric series on nodes
that happen to share their names. The run UI asks this model which run the current file shows;
the store answers for runs of earlier sessions (each run row holds its file's path).
"""

from __future__ import annotations

from pathlib import Path

UNTITLED = ""  # the key of a document that has no file yet


def file_key(path: str | Path | None) -> str:
    """The key a file's runs are stored under: its absolute path (what ``plan_run`` records)."""
    return str(Path(path).resolve()) if path else UNTITLED


class FileRuns:
    """Per file: the run on screen. Per run started here: its file."""

    def __init__(self) -> None:
        self._shown: dict[str, str] = {}
        self._files: dict[str, str] = {}

    def shown(self, file: str) -> str | None:
        return self._shown.get(file)

    def show(self, file: str, run_id: str | None) -> None:
        if run_id is None:
            self._shown.pop(file, None)
        else:
            self._shown[file] = run_id

    def started(self, run_id: str, file: str) -> None:
        """A run of ``file`` began in this session: it is what that file shows from now on."""
        self._files[run_id] = file
        self._shown[file] = run_id

    def file_of(self, run_id: str | None) -> str | None:
        """The file of a run started in this session (None: ask the store)."""
        return self._files.get(run_id) if run_id else None
