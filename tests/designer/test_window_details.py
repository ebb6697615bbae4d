"""Small things that add up: the window fits the screen and names the folder, the empty-canvas hint
is never clipped nor left behind the first node, Help lists every shortcut, tooltips name them."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, QPointF, QRect, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDockWidget

from designer.app import _attach_run_ui
from designer.shortcuts import ShortcutsDialog, shortcut_rows, shortcuts_action, show_shortcuts_in_tooltips
from runner.store.paths import HOME_ENV


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The run UI's data folder (its history and logs) in the test's own folder."""
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    return tmp_path / "home"


YAML = (
    "- step: {name: hello, image: busybox, command: echo hi}\n- pipeline: {name: p, nodes: [], edges: []}\n"
)


def _open(window, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "valohai.yaml"
    path.write_text(YAML, encoding="utf-8")
    assert window.files.open_path(path, confirm=False)
    return path


def test_the_title_names_the_folder(window, tmp_path: Path) -> None:
    _open(window, tmp_path / "mnist")
    assert window.windowTitle().startswith(f"valohai.yaml — {tmp_path / 'mnist'}")
    assert window.windowTitle().endswith("— Pipeline Designer")


def test_counts_in_the_status_bar_say_1_node_not_1_nodes(window, tmp_path: Path) -> None:
    folder = tmp_path / "one"
    folder.mkdir()
    path = folder / "valohai.yaml"
    path.write_text(YAML.replace("nodes: []", "nodes: [{name: hello, type: execution, step: hello}]"))
    assert window.files.open_path(path, confirm=False)
    assert window.counts_label.text() == "1 node · 0 edges"


def test_the_window_fits_a_1600_px_screen(window, home: Path, qtbot) -> None:
    window.hide()  # as run_gui does: every dock of the real application, then show the window
    _attach_run_ui(window)
    window.show()  # a hidden dock has no say in the minimum: shown, as the user sees them
    qtbot.waitExposed(window)
    shown = [d for d in window.findChildren(QDockWidget) if d.isVisible()]
    assert {"run-metrics", "run-logs", "problems", "inspector"} <= {d.objectName() for d in shown}
    assert window.minimumSizeHint().width() <= 1600 - 16, [  # room for the frame
        (d.objectName(), d.minimumSizeHint().width()) for d in shown
    ]
    window.resize(2400, 1400)
    window.fit_to_screen()  # no saved geometry: the default size, then the screen's bounds
    free = window.screen().availableGeometry()
    assert window.width() <= max(free.width(), window.minimumSizeHint().width())
    assert window.width() <= 1440 and window.height() <= max(free.height(), window.minimumSizeHint().height())


class _Paints(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.rects: list[QRect] = []

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.rects.append(event.rect())
        return False


def test_the_empty_canvas_hint_wraps_and_goes_with_the_first_node(window, tmp_path: Path, qtbot) -> None:
    _open(window, tmp_path)
    view = window.view
    window.resizeDocks([window.palette_dock, window.inspector_dock], [400, 500], Qt.Orientation.Horizontal)
    qtbot.wait(100)  # the docks' new sizes are laid out
    assert 0 < view.viewport().width() < 500, "a narrow canvas, where the hint must wrap"
    assert view.is_empty()
    hint = view.hint_rect()
    inner = view.viewport().rect().adjusted(23, 0, -23, 0)
    assert inner.contains(hint), (hint, inner)  # wrapped inside the margins, not cut at the sides
    paints = _Paints()
    view.viewport().installEventFilter(paints)
    window.editor.add_node("hello", QPointF(0, 0))
    qtbot.waitUntil(lambda: any(r.contains(hint) for r in paints.rects), timeout=3000)
    assert not view.is_empty()


def test_help_lists_every_shortcut(window, home: Path, qtbot) -> None:
    _attach_run_ui(window)
    window.menuBar().addMenu("&Help").addAction(shortcuts_action(window))
    rows = {(group, what): keys for group, what, keys in shortcut_rows(window)}
    native = QKeySequence.SequenceFormat.NativeText
    assert rows[("File", "Save")] == QKeySequence(QKeySequence.StandardKey.Save).toString(native)
    assert rows[("Edit", "Preferences")] == QKeySequence("Ctrl+,").toString(native)
    assert rows[("Run", "Go to Next Failure")] == "F8"
    assert rows[("Run", "Run Pipeline")] == "F5"
    assert rows[("Help", "Keyboard Shortcuts")] == QKeySequence("Ctrl+/").toString(native)
    assert ("Canvas", "Pan the canvas") in rows
    dialog = ShortcutsDialog(window)
    dialog.show()
    qtbot.waitExposed(dialog)
    header, tree = dialog.tree.header(), dialog.tree
    for column in (0, 1):  # "Drag from an output port (right) to an input port (left)" is not cut
        shown = header.sectionSize(column) if column == 0 else tree.viewport().width() - header.sectionSize(0)
        assert shown >= tree.sizeHintForColumn(column), column
    dialog.filter.setText("failure")
    shown = [
        dialog.tree.topLevelItem(i).child(j).text(0)
        for i in range(dialog.tree.topLevelItemCount())
        for j in range(dialog.tree.topLevelItem(i).childCount())
        if not dialog.tree.topLevelItem(i).child(j).isHidden()
    ]
    assert shown == ["Go to Next Failure", "Go to Previous Failure"]
    dialog.close()


def test_toolbar_tooltips_name_their_shortcuts(window, home: Path, tmp_path: Path) -> None:
    _attach_run_ui(window)
    show_shortcuts_in_tooltips(window)
    a = window.actions
    native = QKeySequence.SequenceFormat.NativeText
    assert a.save.toolTip().endswith(f"({QKeySequence(QKeySequence.StandardKey.Save).toString(native)})")
    assert window.run_ui.run_action.toolTip() == "Run the pipeline (F5)"
    assert window.run_ui.failures.next_action.toolTip().endswith("(F8)")
    assert a.fit.toolTip().count("(F)") == 1  # a tip that named its key already is left alone
    # A tooltip that changes (Undo names the edit) keeps its shortcut.
    _open(window, tmp_path)
    window.editor.add_node("hello", QPointF(0, 0))
    undo_keys = ", ".join(k.toString(native) for k in a.undo.shortcuts())
    assert a.undo.toolTip().startswith("Undo ") and a.undo.toolTip().endswith(f"({undo_keys})")


def test_a_tool_row_wraps_in_a_narrow_dock_and_keeps_every_control_in_view(qtbot) -> None:
    from designer.run.metrics_toolbar import MetricsToolbar

    bar = MetricsToolbar()
    qtbot.addWidget(bar)
    one_line = bar.sizeHint().height()
    assert bar.minimumSizeHint().width() < 300 < bar.sizeHint().width()
    bar.resize(300, bar.heightForWidth(300))
    bar.show()
    qtbot.waitExposed(bar)
    assert bar.height() > 2 * one_line  # wrapped onto more lines
    for control in (bar.x_combo, bar.smooth_slider, bar.log_y, bar.layout_combo, bar.export_button):
        corner = control.mapTo(bar, control.rect().bottomRight())
        assert bar.rect().contains(corner), control  # nothing cut off at the right or the bottom
