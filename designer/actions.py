"""The main window's actions with their icons and platform-standard shortcuts."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from designer.icons import icon

_Std = QKeySequence.StandardKey


class Actions:
    """Built once per window; handlers are connected by the window and its controllers."""

    def __init__(self, parent: QWidget) -> None:
        def make(text: str, icon_name: str | None = None, shortcut=None, tip: str = "") -> QAction:
            a = QAction(text, parent)
            if icon_name:
                a.setIcon(icon(icon_name))
                a.setProperty("icon_name", icon_name)  # re-tinted when the palette changes
            if shortcut is not None:
                if isinstance(shortcut, list):
                    a.setShortcuts(shortcut)
                else:
                    a.setShortcut(shortcut)
            a.setToolTip(tip or text.replace("&", "").replace("…", ""))
            a.setStatusTip(a.toolTip())
            return a

        self.new = make("&New", "document-new", _Std.New, "New pipeline file")
        self.open = make("&Open…", "document-open", _Std.Open, "Open a valohai.yaml")
        self.save = make("&Save", "document-save", _Std.Save, "Save the YAML and its layout")
        self.save_as = make("Save &As…", "document-save-as", _Std.SaveAs)
        self.reload = make("&Reload from Disk", None, None)
        self.quit = make("&Quit", None, _Std.Quit)
        self.undo = make("&Undo", "edit-undo", _Std.Undo)
        self.redo = make("&Redo", "edit-redo", [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.copy = make("&Copy", None, _Std.Copy)
        self.paste = make("&Paste", None, _Std.Paste)
        self.duplicate = make("D&uplicate", None, QKeySequence("Ctrl+D"))
        self.delete = make(
            "&Delete",
            "edit-delete",
            [QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence("Backspace")],
        )
        self.select_all = make("Select &All", None, _Std.SelectAll)
        self.fit = make("&Fit to View", "zoom-fit", QKeySequence("F"), "Fit the pipeline in the view (F)")
        self.zoom_in = make("Zoom &In", "zoom-in", _Std.ZoomIn)
        self.zoom_out = make("Zoom &Out", "zoom-out", _Std.ZoomOut)
        self.zoom_reset = make("&Actual Size", None, QKeySequence("Ctrl+0"))
        self.auto_layout = make(
            "Auto &Layout",
            "auto-layout",
            QKeySequence("Ctrl+L"),
            "Arrange the nodes left to right by their dependencies (Ctrl+L)",
        )
        self.snap = make("&Snap to Grid", "grid-snap", None, "Snap moved nodes to the grid")
        self.snap.setCheckable(True)
        self.snap.setChecked(True)
        self.add_pipeline = make("&New Pipeline…", "pipeline-add", None, "Add a pipeline")
        self.rename_pipeline = make("&Rename Pipeline…", "pipeline-rename", None, "Rename this pipeline")
        self.remove_pipeline = make("&Delete Pipeline", "pipeline-remove", None, "Delete this pipeline")
        self.new_step = make("New &Step…", "step-new", None, "Add a step to the file")
        # Shortcuts on the canvas only, so typing in the YAML dock or inspector is not hijacked.
        self.canvas_only = [self.delete, self.fit, self.duplicate, self.copy, self.paste, self.select_all]
