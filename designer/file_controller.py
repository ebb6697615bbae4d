"""Files: new/open/save, recent files, unsaved-changes prompt, external changes, autosave.

Prompts go through ``ask`` so tests can answer them without a modal loop.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QFileSystemWatcher, QMimeData, QObject, QStandardPaths, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from designer.document.model_api import ConfigLoadError
from designer.recovery import RecoveryStore

if TYPE_CHECKING:
    from designer.main_window import MainWindow

MAX_RECENT = 10
AUTOSAVE_MS = 30_000
# inotify misses changes on network file systems and when the watch limit is used up: a cheap
# stat every few seconds catches what the watcher did not report.
STAT_POLL_MS = 2_000
YAML_FILTER = "valohai.yaml (*.yaml *.yml);;All files (*)"
_Btn = QMessageBox.StandardButton


class FileController(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.doc = window.document
        root = os.environ.get("PIPELINE_DESIGNER_RECOVERY_DIR") or os.path.join(
            QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation), "recovery"
        )
        self.recovery = RecoveryStore(Path(root))
        self._disk_text: str | None = None  # what the file held when we last read or wrote it
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_file_changed)
        self._change_pending = False
        self._disk_stat: tuple[int, int] | None = None  # (mtime_ns, size) when last read
        self.stat_timer = QTimer(self, interval=STAT_POLL_MS)
        self.stat_timer.timeout.connect(self._poll_stat)
        self.stat_timer.start()
        self.autosave_timer = QTimer(self, interval=AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        a = window.actions
        a.new.triggered.connect(self.new)
        a.open.triggered.connect(self.open_dialog)
        a.save.triggered.connect(self.save)
        a.save_as.triggered.connect(self.save_as)
        a.reload.triggered.connect(lambda: self.reload(ask_first=self.doc.modified))
        a.quit.triggered.connect(window.close)
        self.doc.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self._ending = False  # told to end (SIGTERM): close without asking, keep the autosave

    # --- prompts (replaced in tests) --------------------------------------------------------
    def ask(self, title: str, text: str, buttons: _Btn, default: _Btn) -> _Btn:
        return QMessageBox.question(self.w, title, text, buttons, default)

    def warn(self, title: str, text: str) -> None:
        QMessageBox.warning(self.w, title, text)

    # --- commands ---------------------------------------------------------------------------
    def new(self) -> None:
        if self.confirm_discard():
            self._forget_recovery()
            self.doc.new()
            self._watch(None)

    def open_dialog(self) -> None:
        start = str(self.doc.path.parent) if self.doc.path else str(Path.cwd())
        path, _ = QFileDialog.getOpenFileName(self.w, "Open valohai.yaml", start, YAML_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path, *, confirm: bool = True, recover: bool = True) -> bool:
        """Open a file; with ``recover``, offer its autosave if an earlier session crashed."""
        if confirm and not self.confirm_discard():
            return False
        p = Path(path)
        if p.is_dir():
            p = p / "valohai.yaml"
        try:
            warnings = self.doc.load_file(p)
        except ConfigLoadError as exc:
            self.warn("Cannot open file", str(exc))
            return False
        self._watch(self.doc.path)
        self._add_recent(self.doc.path)
        for message in warnings:
            self.w.statusBar().showMessage(str(message), 8000)
        if recover:
            self.offer_recovery()
        self._point_at_problem(f"Opened {p.name}, but it does not parse")
        return True

    def _point_at_problem(self, what: str) -> None:
        """A text that does not parse: say so, and show it in the YAML view at the error."""
        problem = self.doc.text_problem
        if problem is None:
            return
        self.w.statusBar().showMessage(
            f"{what}: line {problem.line}, column {problem.column}: {problem.message}"
        )
        self.w.yaml_dock.show()
        self.w.yaml_dock.raise_()
        self.w.yaml_panel.go_to_line(problem.line, problem.column)

    def save(self) -> bool:
        if self.doc.path is None:
            return self.save_as()
        return self._save_to(self.doc.path)

    def save_as(self) -> bool:
        start = str(self.doc.path or Path.cwd() / "valohai.yaml")
        path, _ = QFileDialog.getSaveFileName(self.w, "Save valohai.yaml", start, YAML_FILTER)
        return bool(path) and self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        self.w.yaml_panel.flush()
        self.w.remember_view()
        try:
            saved = self.doc.save(path)
        except (OSError, ValueError) as exc:
            self.warn("Cannot save", f"Could not save {path}: {exc}")
            return False
        self._forget_recovery()
        self._watch(saved)
        self._add_recent(saved)
        self.w.statusBar().showMessage(f"Saved {saved}", 4000)
        self._point_at_problem(f"Saved {saved.name} as typed; it does not parse yet")
        return True

    def reload(self, ask_first: bool = False) -> None:
        if self.doc.path is None:
            return
        if (
            ask_first
            and self.ask(
                "Reload", "Discard your changes and reload the file from disk?", _Btn.Yes | _Btn.No, _Btn.No
            )
            != _Btn.Yes
        ):
            return
        self.open_path(self.doc.path, confirm=False, recover=False)

    def confirm_discard(self) -> bool:
        """True when it is fine to drop the document (saved, discarded, or unmodified)."""
        self.w.yaml_panel.flush()
        if self._ending:  # told to end (SIGTERM): the edits are in the autosave
            return True
        name = self.doc.path.name if self.doc.path else "Untitled"
        problem = self.doc.text_problem
        broken = (
            f"\n\nThe text does not parse (line {problem.line}: {problem.message}); "
            "the runner cannot use it until it does."
            if problem is not None
            else ""
        )
        if not self.doc.modified:
            if problem is None:
                return True
            answer = self.ask(
                "File does not parse",
                f"“{name}” is saved as you typed it.{broken}\n\nClose it anyway?",
                _Btn.Discard | _Btn.Cancel,
                _Btn.Cancel,
            )
            return answer == _Btn.Discard
        answer = self.ask(
            "Unsaved changes",
            f"Save the changes to “{name}” before closing it?{broken}",
            _Btn.Save | _Btn.Discard | _Btn.Cancel,
            _Btn.Save,
        )
        if answer == _Btn.Save:
            return self.save()
        return answer == _Btn.Discard

    # --- external changes -------------------------------------------------------------------
    def _watch(self, path: Path | None) -> None:
        files = self._watcher.files()
        if files:
            self._watcher.removePaths(files)
        self._disk_text = None
        if path is not None and path.is_file():
            self._disk_text = path.read_text(encoding="utf-8", errors="replace")
            self._disk_stat = _stat(path)
            self._watcher.addPath(str(path))

    def _poll_stat(self) -> None:
        path = self.doc.path
        if path is None or self._disk_text is None or self._change_pending:
            return
        stat = _stat(path)
        if stat is not None and stat != self._disk_stat:
            self._disk_stat = stat
            self.check_external_change()

    def _on_file_changed(self, changed: str) -> None:
        # Editors often replace the file (rename), which drops the watch: watch it again.
        if os.path.exists(changed) and changed not in self._watcher.files():
            self._watcher.addPath(changed)
        if not self._change_pending:
            self._change_pending = True
            QTimer.singleShot(200, self.check_external_change)

    def check_external_change(self) -> bool:
        """Offer to reload when the file on disk differs from what we read or wrote last."""
        self._change_pending = False
        path = self.doc.path
        if path is None or self._disk_text is None:
            return False
        try:
            now = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
        self._disk_stat = _stat(path)
        if now == self._disk_text:
            return False
        self._disk_text = now
        extra = "\n\nYour unsaved changes here would be lost." if self.doc.modified else ""
        answer = self.ask(
            "File changed on disk",
            f"“{path.name}” was changed by another program. Reload it?{extra}",
            _Btn.Yes | _Btn.No,
            _Btn.Yes,
        )
        if answer == _Btn.Yes:
            self.open_path(path, confirm=False, recover=False)
        return True

    # --- autosave and recovery --------------------------------------------------------------
    def autosave(self) -> Path | None:
        if not self.doc.modified:
            return None
        return self.recovery.write(self.doc.path, self.doc.snapshot())

    def _forget_recovery(self) -> None:
        self.recovery.remove(self.doc.path)

    def _on_clean_changed(self, clean: bool) -> None:
        if clean:
            self._forget_recovery()

    def offer_recovery(self) -> bool:
        """After a crash: offer the newest autosave, for the open file or an untitled one."""
        entry = self.recovery.find(self.doc.path)
        if entry is None:
            return False
        when = entry.saved_at.strftime("%Y-%m-%d %H:%M")
        name = entry.path.name if entry.path else "an untitled file"
        answer = self.ask(
            "Recover unsaved changes",
            f"Pipeline Designer did not close cleanly. Recover the changes to {name} autosaved at {when}?",
            _Btn.Yes | _Btn.No,
            _Btn.Yes,
        )
        if answer != _Btn.Yes:
            self.recovery.remove(entry.path)
            return False
        if entry.path is not None and entry.path.is_file() and self.doc.path != entry.path:
            self.open_path(entry.path, confirm=False, recover=False)
        self.w.editor.recover(entry.snapshot)
        return True

    # --- recent files and geometry ----------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.w.settings.value("recentFiles", [])
        return [str(v) for v in (value if isinstance(value, list) else [value] if value else [])]

    def _add_recent(self, path: Path | None) -> None:
        if path is None:
            return
        files = [str(path)] + [f for f in self.recent_files() if f != str(path)]
        self.w.settings.setValue("recentFiles", files[:MAX_RECENT])

    def fill_recent(self) -> None:
        menu = self.w.recent_menu
        menu.clear()
        for f in self.recent_files():
            menu.addAction(f, lambda f=f: self.open_path(f))
        menu.setEnabled(True)
        if menu.isEmpty():
            menu.addAction("(none)").setEnabled(False)

    def restore_geometry(self) -> None:
        geometry = self.w.settings.value("window/geometry")
        state = self.w.settings.value("window/state")
        if geometry is not None:
            self.w.restoreGeometry(geometry)
        if state is not None:
            self.w.restoreState(state)

    def shutdown(self) -> None:
        """Clean close: remember the window, stop timers, drop the autosave."""
        self.w.settings.setValue("window/geometry", self.w.saveGeometry())
        self.w.settings.setValue("window/state", self.w.saveState())
        if not self._ending:
            self._forget_recovery()
        self.stop_watching()

    def end_without_asking(self) -> None:
        """The process was told to end (SIGTERM, SIGHUP): unsaved changes go to the autosave,
        offered again at the next start, and closing asks nothing."""
        self.w.yaml_panel.flush()
        self.autosave()
        self._ending = True

    def stop_watching(self) -> None:
        """No more autosaves and no more external-change checks (closing)."""
        self.autosave_timer.stop()
        self.stat_timer.stop()
        files = self._watcher.files()
        if files:
            self._watcher.removePaths(files)

    @staticmethod
    def dropped_path(mime: QMimeData) -> Path | None:
        for url in mime.urls() if mime.hasUrls() else []:
            if url.isLocalFile() and url.toLocalFile().lower().endswith((".yaml", ".yml")):
                return Path(url.toLocalFile())
        return None


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size
