"""Navigation on the canvas: zoom about the cursor, panning, fit, rubber band, auto layout."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

pytestmark = pytest.mark.gui


@pytest.fixture
def opened(window, example_yaml: Path, qtbot):
    window.files.open_path(example_yaml, confirm=False)
    window.show_pipeline("My medium pipeline")
    qtbot.wait(50)  # the deferred fit after opening
    window.view.set_zoom(1.0)
    return window


def _wheel(view, pos: QPoint, steps: int) -> None:
    event = QWheelEvent(
        QPointF(pos),
        QPointF(view.viewport().mapToGlobal(pos)),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.viewport(), event)


def test_wheel_zooms_about_the_cursor(opened) -> None:
    view = opened.view
    cursor = QPoint(150, 120)
    under = view.mapToScene(cursor)
    _wheel(view, cursor, 2)
    assert view.zoom == pytest.approx(1.15**2, rel=1e-3)
    after = view.mapToScene(cursor)
    assert abs(after.x() - under.x()) < 1 and abs(after.y() - under.y()) < 1
    _wheel(view, cursor, -40)
    assert view.zoom == pytest.approx(0.1)  # clamped


def test_middle_drag_pans(opened) -> None:
    view = opened.view
    vp = view.viewport()
    start = QPoint(300, 300)
    before = view.mapToScene(start)
    QTest.mousePress(vp, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(vp, start + QPoint(80, 50))
    QTest.mouseRelease(
        vp, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, start + QPoint(80, 50)
    )
    moved = view.mapToScene(start) - before
    assert moved.x() == pytest.approx(-80, abs=1) and moved.y() == pytest.approx(-50, abs=1)


def test_space_drag_pans_instead_of_selecting(opened, qtbot) -> None:
    view = opened.view
    vp = view.viewport()
    view.setFocus()
    start = QPoint(200, 200)
    before = view.mapToScene(start)
    QTest.keyPress(view, Qt.Key.Key_Space)
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(vp, start + QPoint(-60, 40))
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(-60, 40))
    QTest.keyRelease(view, Qt.Key.Key_Space)
    moved = view.mapToScene(start) - before
    assert moved.x() == pytest.approx(60, abs=1) and moved.y() == pytest.approx(-40, abs=1)
    assert not opened.scene.selectedItems()


def test_f_fits_every_node(opened, qtbot) -> None:
    view = opened.view
    view.set_zoom(3.0)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_F)
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    for item in opened.scene.node_items.values():
        assert visible.contains(item.sceneBoundingRect())
    assert view.zoom <= 1.0


def test_rubber_band_selects_nodes(opened) -> None:
    w = opened
    items = w.scene.node_items
    w.view.fit()
    rect = items["batch1"].sceneBoundingRect().united(items["batch2"].sceneBoundingRect())
    a = w.view.mapFromScene(rect.topLeft() - QPointF(15, 15))
    b = w.view.mapFromScene(rect.bottomRight() + QPointF(5, 5))
    vp = w.view.viewport()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    QTest.mouseMove(vp, (a + b) / 2)
    QTest.mouseMove(vp, b)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)
    assert {"batch1", "batch2"} <= set(w.scene.selected_node_names())
    assert "test" not in w.scene.selected_node_names()


def test_auto_layout_is_one_undoable_step_left_to_right(opened) -> None:
    w = opened
    w.editor.move_nodes({"test": (w.document.positions("My medium pipeline")["test"], (-900.0, 700.0))})
    before = dict(w.document.positions("My medium pipeline"))
    w.actions.auto_layout.trigger()
    after = w.document.positions("My medium pipeline")
    assert after != before
    assert after["batch1"][0] < after["batch2"][0] < after["train"][0] < after["test"][0]
    assert w.document.undo_stack.undoText() == "Auto layout"
    w.document.undo_stack.undo()
    assert w.document.positions("My medium pipeline") == before


def test_snap_toggle(opened) -> None:
    w = opened
    w.actions.snap.setChecked(False)
    assert not w.scene.snap_to_grid
    w.actions.snap.setChecked(True)
    assert w.scene.snap_to_grid


def test_standard_shortcuts_are_bound(opened) -> None:
    a = opened.actions
    from PySide6.QtGui import QKeySequence

    assert QKeySequence("Ctrl+S") in a.save.shortcuts()
    assert QKeySequence("Ctrl+Z") in a.undo.shortcuts()
    assert QKeySequence("Ctrl+Shift+Z") in a.redo.shortcuts()
    assert QKeySequence("F") in a.fit.shortcuts()
    assert QKeySequence("Ctrl+D") in a.duplicate.shortcuts()
    assert QKeySequence("Del") in a.delete.shortcuts()


def test_palette_switch_redraws_with_the_dark_theme(opened, qapp) -> None:
    from designer.canvas.style import theme
    from designer.theme import apply_theme

    try:
        assert apply_theme(qapp, dark=True)
        opened.palette_changed()
        assert theme().background.lightness() < 80
        assert opened.yaml_panel.highlighter._formats["key"].foreground().color().lightness() > 150
    finally:
        apply_theme(qapp, dark=False)
        opened.palette_changed()
    assert theme().background.lightness() > 200


def test_run_status_survives_a_scene_rebuild(opened) -> None:
    scene = opened.scene
    scene.set_node_status("train", "running")
    assert scene.node_items["train"].status == "running"
    scene.clear_all()
    opened._refresh_scene()
    assert scene.node_items["train"].status == "running"
    scene.clear_node_status()
    assert scene.node_items["train"].status is None


def test_empty_canvas_shows_how_to_start(window) -> None:
    window.files.new()
    assert "Drag a step" in window.view.empty_hint
    image = window.view.viewport().grab().toImage()
    background = image.pixelColor(3, 3).lightness()
    middle = image.height() // 2
    band = [
        image.pixelColor(x, y).lightness()
        for x in range(image.width())
        for y in range(middle - 30, middle + 30)
    ]
    assert min(band) < background - 60  # dark text pixels in the middle of a light canvas


def test_view_state_is_saved_in_the_sidecar_and_restored(make_window, example_yaml: Path, qtbot) -> None:
    first = make_window()
    first.files.open_path(example_yaml, confirm=False)
    qtbot.wait(50)
    first.view.set_zoom(1.5)
    first.view.centerOn(400.0, 120.0)
    first.files.save()
    assert "zoom" in (example_yaml.parent / ".valohai.designer.json").read_text(encoding="utf-8")
    second = make_window()
    second.files.open_path(example_yaml, confirm=False)
    qtbot.wait(50)
    assert second.view.zoom == pytest.approx(1.5)
    center = second.view.mapToScene(second.view.viewport().rect().center())
    assert center.x() == pytest.approx(400, abs=2) and center.y() == pytest.approx(120, abs=2)


def test_empty_pipeline_of_a_file_with_steps_does_not_ask_for_steps(window, tmp_path: Path) -> None:
    path = tmp_path / "valohai.yaml"
    path.write_text("- step:\n    name: train\n    image: busybox\n    command: echo hi\n")
    window.files.open_path(path, confirm=False)
    assert "Drag a step" in window.view.empty_hint
    assert "No steps yet" not in window.view.empty_hint
    window.files.new()
    assert "No steps yet" in window.view.empty_hint
