"""Re-run on save: nodes whose code is saved run again on their upstream's latest outputs, like a
notebook cell. When the node's last execution recorded what it read (the injected read
recorder), only a save of one of those files (or a new file where it looked one up) counts;
otherwise, and for the YAML itself, any code file of the folder does.

One re-run per burst of saves (an editor writing several files, or a temp file and a rename); a
newer save cancels a re-run still going and starts over. The code folder is watched (directories,
so an editor's atomic save by rename is seen too) and a change counts only when a file's size or
modification time really changed (our own .vscode/launch.json writes do not).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

# Not code: version control, caches, environments, editor settings and our own files.
_SKIP = {".git", ".hg", ".svn", "__pycache__", ".venv", "venv", "node_modules", ".mypy_cache",
         ".pytest_cache", ".ruff_cache", ".cache", ".valohai", ".vscode", ".idea"}  # fmt: skip
_SKIP_SUFFIXES = (".pyc", ".swp", ".swx", "~", ".tmp")
BURST_MS = 120  # saves closer together than this are one burst


def _signature(root: Path) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIP and not d.startswith(".pipeline-designer")]
        for name in filenames:
            if (
                name.endswith(_SKIP_SUFFIXES)
                or name.startswith((".#", ".~"))
                or name.endswith(".designer.json")
            ):
                continue
            path = os.path.join(dirpath, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            out[os.path.relpath(path, root)] = (st.st_mtime_ns, st.st_size)
    return out


class RerunOnSave(QObject):
    # A re-run started: (the nodes, the files whose save triggered it)
    rerun_started = Signal(object, object)

    def __init__(self, run_ui: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ui = run_ui
        self.nodes: set[str] = set()
        self.root: Path | None = None
        self.reruns = 0
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._changed)
        self._watcher.fileChanged.connect(self._changed)
        self._burst = QTimer(self, singleShot=True, interval=BURST_MS)
        self._burst.timeout.connect(self._burst_over)
        self._signature: dict[str, tuple[int, int]] = {}
        self._pending: tuple[set[str], list[str]] | None = None
        self._ours: str | None = None  # the run id of the re-run going on, if any
        self._expect = False  # a re-run was just asked for: the next run to start is ours
        run_ui.controller.busy_changed.connect(self._busy_changed)
        run_ui.controller.events.run_started.connect(self._run_started)

    def set_node(self, node: str, on: bool) -> None:
        (self.nodes.add if on else self.nodes.discard)(node)
        self.watch()

    def watch(self) -> None:
        """(Re)start watching the document's folder (another file may have been opened)."""
        path = getattr(self.ui.window.document, "path", None)
        root = Path(path).parent if path and self.nodes else None
        if self._watcher.directories():
            self._watcher.removePaths(self._watcher.directories())
        if self._watcher.files():
            self._watcher.removePaths(self._watcher.files())
        self.root = root
        if root is None:
            return
        folders = [str(root)]
        for dirpath, dirnames, _files in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in _SKIP and not d.startswith(".pipeline-designer")]
            folders += [os.path.join(dirpath, d) for d in dirnames]
        self._watcher.addPaths(folders)
        self._signature = _signature(root)
        self._watcher.addPaths([str(root / rel) for rel in self._signature])

    def _changed(self, _path: str) -> None:
        if self.nodes:
            self._burst.start()  # restarted by each event of the burst

    def _burst_over(self) -> None:
        if self.root is None:
            return
        now = _signature(self.root)
        changed = sorted(
            k for k in now.keys() | self._signature.keys() if now.get(k) != self._signature.get(k)
        )
        self._signature = now
        for rel in changed:  # a file saved by rename is a new inode: watch it again
            if rel in now and str(self.root / rel) not in self._watcher.files():
                self._watcher.addPath(str(self.root / rel))
        nodes = {n for n in self.nodes if self._relevant(n, changed)}
        if not nodes:
            return
        self._pending = (nodes, changed)
        if self.ui.controller.busy:
            if self._ours is not None and self._ours == self.ui.controller.run_id:
                self.ui.cancel()  # a newer save: the older re-run stops, this one starts after
            return  # a run of the user's own: the re-run waits for it
        self._start_pending()

    def _relevant(self, node: str, changed: list[str]) -> bool:
        """Whether ``node`` depends on one of the saved files (by its recorded reads, when whole)."""
        doc_path = getattr(self.ui.window.document, "path", None)
        if doc_path and self.root and any((self.root / rel) == Path(doc_path) for rel in changed):
            return True  # the YAML: the node's command, parameters or inputs may have changed
        reads = self._reads(node)
        if not reads.get("complete"):
            return bool(changed)
        deps = set(reads.get("dependencies") or {})
        for rel in changed:
            folder, _, name = rel.rpartition("/")
            folder = folder or "."
            if f"f:{rel}" in deps or f"s:{rel}" in deps or f"d:{folder}" in deps:
                return True
            if any(d.startswith(f"m:{folder}:") and name.startswith(d.rsplit(":", 1)[1] + ".") for d in deps):
                return True
        return False

    def _reads(self, node: str) -> dict[str, Any]:
        run_id = self.ui.shown_run
        row = self.ui.history.execution(run_id, node) if run_id else None
        reads = (row or {}).get("reads")
        return reads if isinstance(reads, dict) else {}

    def _busy_changed(self, busy: bool) -> None:
        if not busy:
            self._ours = None
            if self._pending is not None:
                self._start_pending()

    def _start_pending(self) -> None:
        if self._pending is None:
            return
        nodes, changed = self._pending
        self._pending = None
        self._expect = True
        if self.ui.run_nodes(nodes):
            self.reruns += 1
            self.rerun_started.emit(sorted(nodes), changed)
        else:
            self._expect = False

    def _run_started(self, run_id: str, _nodes: object) -> None:
        if self._expect:
            self._ours, self._expect = run_id, False
