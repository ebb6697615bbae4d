"""The main window: canvas in the middle, palette, inspector, YAML, problems and history docks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QAbstractButton, QDockWidget, QMainWindow, QWidget

from designer.actions import Actions
from designer.canvas.node_item import node_size
from designer.canvas.scene import PipelineScene
from designer.canvas.style import is_dark
from designer.canvas.view import CanvasView
from designer.document.model_api import query
from designer.document.pipeline_document import PipelineDocument
from designer.edit_actions import EditActions
from designer.editor import PipelineEditor
from designer.file_controller import FileController
from designer.icons import icon
from designer.panels.history_panel import HistoryPanel
from designer.panels.inspector import InspectorPanel
from designer.panels.palette import PalettePanel
from designer.panels.problems_panel import ProblemsPanel
from designer.panels.yaml_panel import YamlPanel
from designer.problem_paths import locate_in_pipeline
from designer.step_actions import StepActions
from designer.window_bars import build_menus, build_status, build_toolbar

APP_NAME = "Pipeline Designer"
# The YAML and problems docks follow an edit within 200 ms; the timers coalesce bursts of edits.
TEXT_DELAY_MS = 20
LINT_DELAY_MS = 80
DEFAULT_SIZE = (1440, 900)  # fits a 1600 x 900 screen with room for its window frame


def _count(n: int, word: str) -> str:
    """``1 node``, ``3 nodes``."""
    return f"{n} {word}" + ("" if n == 1 else "s")


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or QSettings()
        self.setWindowIcon(icon("app"))
        self.document = PipelineDocument(self)
        self.document.node_size = node_size
        self.scene = PipelineScene(self)
        self.view = CanvasView(self.scene, self)
        self.setCentralWidget(self.view)
        self.actions = Actions(self)
        self.editor = PipelineEditor(self.document, self.scene, self)
        self._projecting = False  # the scene is following an edit (see _refresh_scene)
        self._text_timer = QTimer(self, singleShot=True, interval=TEXT_DELAY_MS)
        self._text_timer.timeout.connect(self._sync_text)
        self._lint_timer = QTimer(self, singleShot=True, interval=LINT_DELAY_MS)
        self._lint_timer.timeout.connect(self._sync_problems)
        self._build_docks()
        self.files = FileController(self)
        self.pipeline_bar = build_toolbar(self)
        self.recent_menu, self.preferences_action = build_menus(self)
        self.counts_label, self.problems_label, self.zoom_label = build_status(self)
        self._connect()
        self.edit_actions = EditActions(self)
        self.step_actions = StepActions(self)
        self.setAcceptDrops(True)
        self.resize(*DEFAULT_SIZE)
        self._on_reset()
        self.files.restore_geometry()

    @property
    def current_pipeline(self) -> str | None:
        return self.editor.pipeline

    @current_pipeline.setter
    def current_pipeline(self, name: str | None) -> None:
        if self.editor.pipeline is not None:
            self.editor.last_pipeline = self.editor.pipeline
        self.editor.pipeline = name

    # --- construction -----------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.palette_panel = PalettePanel(self)
        self.inspector = InspectorPanel(self.editor, self)
        self.yaml_panel = YamlPanel(self)
        self.problems = ProblemsPanel(self)
        self.history = HistoryPanel(self.document.undo_stack, self)
        left, right, bottom = (
            Qt.DockWidgetArea.LeftDockWidgetArea,
            Qt.DockWidgetArea.RightDockWidgetArea,
            Qt.DockWidgetArea.BottomDockWidgetArea,
        )
        self.palette_dock = self._dock("Steps", "palette", self.palette_panel, left)
        self.history_dock = self._dock("History", "history", self.history, left)
        self.inspector_dock = self._dock("Inspector", "inspector", self.inspector, right)
        self.yaml_dock = self._dock("YAML", "yaml", self.yaml_panel, right)
        self.problems_dock = self._dock("Problems", "problems", self.problems, bottom)
        self.splitDockWidget(self.palette_dock, self.history_dock, Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.inspector_dock, self.yaml_dock)
        self.inspector_dock.raise_()
        self.resizeDocks([self.palette_dock, self.inspector_dock], [230, 380], Qt.Orientation.Horizontal)
        self.resizeDocks([self.problems_dock], [150], Qt.Orientation.Vertical)
        self.resizeDocks([self.palette_dock, self.history_dock], [520, 200], Qt.Orientation.Vertical)

    def _connect(self) -> None:
        a, doc = self.actions, self.document
        stack = doc.undo_stack
        a.undo.triggered.connect(doc.undo)
        a.redo.triggered.connect(doc.redo)
        stack.canUndoChanged.connect(a.undo.setEnabled)
        stack.canRedoChanged.connect(a.redo.setEnabled)
        stack.undoTextChanged.connect(lambda t: a.undo.setToolTip(f"Undo {t}" if t else "Undo"))
        stack.redoTextChanged.connect(lambda t: a.redo.setToolTip(f"Redo {t}" if t else "Redo"))
        stack.cleanChanged.connect(self._update_title)
        a.fit.triggered.connect(self.view.fit)
        a.zoom_in.triggered.connect(lambda: self.view.set_zoom(self.view.zoom * 1.25))
        a.zoom_out.triggered.connect(lambda: self.view.set_zoom(self.view.zoom / 1.25))
        a.zoom_reset.triggered.connect(lambda: self.view.set_zoom(1.0))
        a.snap.toggled.connect(self.scene.set_snap_to_grid)
        a.select_all.triggered.connect(lambda: [i.setSelected(True) for i in self.scene.node_items.values()])
        self.view.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{round(z * 100)} %"))
        self.pipeline_bar.pipeline_selected.connect(self.show_pipeline)
        doc.reset.connect(self._on_reset)
        doc.pipelines_changed.connect(self._on_pipelines_changed)
        doc.steps_changed.connect(self._refresh_palette)
        doc.changed.connect(self._after_edit)  # once per edit, after the fine-grained signals
        doc.path_changed.connect(self._update_title)
        self.problems.diagnostic_activated.connect(self.reveal_diagnostic)
        self.problems.counts_changed.connect(self._show_problem_counts)
        self.yaml_panel.text_edited.connect(self.editor.apply_text)
        self.editor.text_error.connect(lambda msg, line: self.yaml_panel.show_error(msg, line or None))
        self.editor.message.connect(lambda msg: self.statusBar().showMessage(msg, 6000))
        self.editor.pipeline_requested.connect(self._on_pipeline_requested)
        self.scene.selectionChanged.connect(self._on_selection_changed)
        self.scene.selectionChanged.connect(self._reveal_selection_in_yaml)

    # --- document → widgets -----------------------------------------------------------------
    def _on_reset(self) -> None:
        names = self.document.pipeline_names()
        keep = self.current_pipeline if self.current_pipeline in names else None
        self.current_pipeline = keep or (names[0] if names else None)
        self.pipeline_bar.set_pipelines(names, self.current_pipeline)
        self._refresh_palette()
        self.scene.clear_all()
        self._refresh_scene()
        self._sync_text()
        self._lint_timer.start()  # the canvas first; lint follows within the timer
        self._update_title()
        QTimer.singleShot(0, self.restore_view)

    def _on_pipelines_changed(self) -> None:
        names = self.document.pipeline_names()
        if self.current_pipeline not in names:
            self.current_pipeline = (
                self.editor.last_pipeline
                if self.editor.last_pipeline in names
                else (names[0] if names else None)
            )
        self.pipeline_bar.set_pipelines(names, self.current_pipeline)
        self._update_actions()  # the scene follows in _after_edit, once

    def _after_edit(self) -> None:
        """The one refresh after an edit, an undo or a text change: scene, Inspector, docks."""
        self._refresh_scene()
        self._sync_text_state()
        self._text_timer.start()
        self._lint_timer.start()

    def _on_pipeline_requested(self, name: str) -> None:
        self.current_pipeline = name
        self._on_pipelines_changed()
        self._refresh_scene()

    def show_pipeline(self, name: str) -> None:
        if name == self.current_pipeline:
            return
        self.remember_view()
        self.current_pipeline = name
        self.pipeline_bar.set_pipelines(self.document.pipeline_names(), name)
        self.scene.clear_all()
        self._refresh_scene()
        self.restore_view()

    def remember_view(self) -> None:
        """Put the current zoom and centre into the sidecar (written on save)."""
        if self.current_pipeline is not None:
            center = self.view.mapToScene(self.view.viewport().rect().center())
            state = {"zoom": round(self.view.zoom, 4), "center": [round(center.x(), 1), round(center.y(), 1)]}
            self.document.set_view_state(self.current_pipeline, state)

    def restore_view(self) -> None:
        """The saved zoom and centre of this pipeline, or fit everything."""
        state = self.document.view_state(self.current_pipeline) if self.current_pipeline else {}
        try:
            zoom, (x, y) = float(state["zoom"]), state["center"]
            self.view.set_zoom(zoom)
            self.view.centerOn(float(x), float(y))
        except (KeyError, TypeError, ValueError):
            self.view.fit()

    def _on_selection_changed(self) -> None:
        if not self._projecting:  # else _refresh_scene refreshes the Inspector once it is done
            self.inspector.refresh()

    def _refresh_scene(self) -> None:
        p = self.current_pipeline
        view = self.document.view(p) if p else None
        self._projecting = True
        try:
            self.scene.show_pipeline(view, self.document.positions(p) if p else {})
        finally:
            self._projecting = False
        n_nodes = len(view.nodes) if view else 0
        n_edges = len(view.edges) if view else 0
        self.counts_label.setText(f"{_count(n_nodes, 'node')} · {_count(n_edges, 'edge')}")
        self.inspector.refresh()
        self._update_actions()

    def _refresh_palette(self) -> None:
        steps = self.document.config.steps
        self.view.set_has_steps(bool(steps))
        self.palette_panel.set_steps([(n, getattr(s, "image", None)) for n, s in steps.items()])

    def _sync_text(self) -> None:
        if self.yaml_panel.pending:  # typing not applied yet goes in first: a sync never drops it
            self.yaml_panel.flush()  # its edit (if any) schedules the next sync
            return
        self.yaml_panel.set_text(self.document.text)
        self._sync_text_state()

    def _sync_text_state(self) -> None:
        """Whether the canvas is behind the text: the YAML dock's status line and the canvas say so."""
        problem = self.document.text_problem
        if problem is None:
            if self.view.notice is not None:
                self.yaml_panel.show_ok()
            self.view.set_notice(None)
        else:
            behind = bool(self.document.pipeline_names() or self.document.step_names())
            self.yaml_panel.show_problem(problem.message, problem.line, problem.column, behind)
            self.view.set_notice(f"line {problem.line}, column {problem.column}: {problem.message}")
        self.scene.set_out_of_date(problem is not None)

    def _sync_problems(self) -> None:
        self.problems.set_diagnostics(self.document.diagnostics(), self.document.problems_source.data)

    def _show_problem_counts(self, errors: int, warnings: int) -> None:
        self.problems_label.setText(f"{_count(errors, 'error')}, {_count(warnings, 'warning')}")
        title = "Problems" + (f" ({errors + warnings})" if errors + warnings else "")
        self.problems_dock.setWindowTitle(title)

    def _update_actions(self) -> None:
        a = self.actions
        has_pipeline = self.current_pipeline is not None
        for action in (a.rename_pipeline, a.remove_pipeline, a.auto_layout, a.fit):
            action.setEnabled(has_pipeline)

    def palette_changed(self) -> None:
        """The colour scheme changed: re-tint icons, re-read style sheets, redraw the canvas and the
        YAML colours (Preferences ▸ Theme, or the system's scheme, while the window is open)."""
        for holder in (*self.findChildren(QAction), *self.findChildren(QAbstractButton)):
            name = holder.property("icon_name")
            if name:
                holder.setIcon(icon(str(name)))
        for widget in self.findChildren(QWidget):
            sheet = widget.styleSheet()
            if "palette(" in sheet:  # its colours were taken from the palette when it was set
                widget.setStyleSheet("")
                widget.setStyleSheet(sheet)
        self._refresh_palette()  # the Steps list's icons
        self.yaml_panel.highlighter.set_dark(is_dark())
        self.view.resetCachedContent()
        for item in self.scene.items():
            item.update()

    def _update_title(self, *_args: object) -> None:
        path = self.document.path
        # The folder too: every project's file is called valohai.yaml.
        name = f"{path.name} — {_folder_text(path.parent)}" if path else "Untitled"
        self.setWindowFilePath(str(path) if path else "")
        self.setWindowModified(self.document.modified)
        self.setWindowTitle(f"{name}[*] — {APP_NAME}")

    def fit_to_screen(self) -> None:
        """The default size unless one was restored (docks added later grow the window), and never
        wider or taller than the screen's free area."""
        if self.settings.value("window/geometry") is None:
            self.resize(*DEFAULT_SIZE)
        screen = self.screen()
        if screen is None:
            return
        free = screen.availableGeometry()
        width, height = min(self.width(), free.width()), min(self.height(), free.height())
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)
        frame = self.frameGeometry()
        if not free.contains(frame):
            self.move(
                max(free.left(), min(frame.left(), free.right() - frame.width())),
                max(free.top(), frame.top()),
            )

    def _reveal_selection_in_yaml(self) -> None:
        """Follow a selected node or edge in the YAML dock (without taking the keyboard focus)."""
        if not shiboken6.isValid(self.scene) or self.yaml_panel.editor.hasFocus():
            return
        if self.yaml_dock.visibleRegion().isEmpty() or self.current_pipeline is None:
            return
        loaded = self.document.loaded
        base = query.item_path(loaded.data, "pipeline", self.current_pipeline)
        names, edges = self.scene.selected_node_names(), self.scene.selected_edges()
        path: tuple[object, ...] = ()
        if len(names) == 1 and not edges:
            path = query.node_path(loaded.data, self.current_pipeline, names[0])
        elif len(edges) == 1 and not names and base:
            path = (*base, "edges", edges[0].index)
        if path:
            mark = loaded.locate(path)
            self.yaml_panel.go_to_line(mark.line, mark.column)

    def reveal_diagnostic(self, diagnostic: Any) -> None:
        """Select what a diagnostic is about (pipeline, node or edge) and its YAML line."""
        target = locate_in_pipeline(self.document.loaded.data, tuple(getattr(diagnostic, "path", ()) or ()))
        if target is not None:
            pipeline, kind, name = target
            if pipeline in self.document.pipeline_names():
                self.show_pipeline(pipeline)
                if kind == "node":
                    self.scene.select_node(str(name))
                elif kind == "edge":
                    self.scene.select_edge(int(name))
        if getattr(diagnostic, "line", None):
            self.yaml_dock.show()
            self.yaml_dock.raise_()
            self.yaml_panel.go_to_line(diagnostic.line, getattr(diagnostic, "column", 1) or 1)

    # --- window events ----------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.files.dropped_path(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self.files.dropped_path(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.files.open_path(path)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.files.confirm_discard():
            self.files.shutdown()
            event.accept()
        else:
            event.ignore()


def _folder_text(folder: Path) -> str:
    """``~/projects/mnist`` for a folder under the home folder, else the absolute path."""
    folder = folder.absolute()
    home = Path.home()
    return f"~/{folder.relative_to(home)}" if folder.is_relative_to(home) and folder != home else str(folder)
