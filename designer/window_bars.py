"""The main window's toolbar, menus and status bar, built from its actions and docks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMenu, QToolBar

from designer.panels.pipeline_bar import PipelineBar
from designer.preferences import preferences_action

if TYPE_CHECKING:
    from designer.main_window import MainWindow


def build_toolbar(window: MainWindow) -> PipelineBar:
    """The main toolbar: file, undo, the pipeline selector and its actions, the canvas' view actions."""
    a = window.actions
    bar = QToolBar("Main", window)
    bar.setObjectName("main-toolbar")
    bar.setMovable(False)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    for action in (a.new, a.open, a.save):
        bar.addAction(action)
    bar.addSeparator()
    bar.addAction(a.undo)
    bar.addAction(a.redo)
    bar.addSeparator()
    pipeline_bar = PipelineBar(window)
    bar.addWidget(pipeline_bar)
    for action in (a.add_pipeline, a.rename_pipeline, a.remove_pipeline):
        bar.addAction(action)
    bar.addSeparator()
    for action in (a.auto_layout, a.snap, a.fit, a.zoom_out, a.zoom_in):
        bar.addAction(action)
    window.addToolBar(bar)
    window.view.addActions(a.canvas_only)
    for action in a.canvas_only:
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    return pipeline_bar


def build_menus(window: MainWindow) -> tuple[QMenu, QAction]:
    """File, Edit, Pipeline and View menus; returns Open Recent (filled as it opens) and Preferences."""
    a = window.actions
    file_menu = window.menuBar().addMenu("&File")
    file_menu.addActions([a.new, a.open])
    recent_menu = QMenu("Open &Recent", window)
    file_menu.addMenu(recent_menu)
    recent_menu.aboutToShow.connect(window.files.fill_recent)
    file_menu.addSeparator()
    file_menu.addActions([a.save, a.save_as, a.reload])
    file_menu.addSeparator()
    file_menu.addAction(a.quit)
    edit = window.menuBar().addMenu("&Edit")
    edit.addActions([a.undo, a.redo])
    edit.addSeparator()
    edit.addActions([a.copy, a.paste, a.duplicate, a.delete, a.select_all])
    edit.addSeparator()
    preferences = preferences_action(window)
    edit.addAction(preferences)
    pipeline = window.menuBar().addMenu("&Pipeline")
    pipeline.addActions([a.add_pipeline, a.rename_pipeline, a.remove_pipeline])
    pipeline.addSeparator()
    pipeline.addAction(a.new_step)
    view = window.menuBar().addMenu("&View")
    view.addActions([a.fit, a.zoom_in, a.zoom_out, a.zoom_reset])
    view.addSeparator()
    view.addActions([a.auto_layout, a.snap])
    view.addSeparator()
    for dock in (
        window.palette_dock,
        window.inspector_dock,
        window.yaml_dock,
        window.problems_dock,
        window.history_dock,
    ):
        view.addAction(dock.toggleViewAction())
    return recent_menu, preferences


def build_status(window: MainWindow) -> tuple[QLabel, QLabel, QLabel]:
    """The status bar's counts, problems and zoom labels."""
    counts, problems, zoom = QLabel(window), QLabel(window), QLabel("100 %", window)
    for label in (problems, counts, zoom):
        window.statusBar().addPermanentWidget(label)
    return counts, problems, zoom
