"""Editing on the canvas: refused connections, highlights, moves, deletes (real mouse and keys)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from designer.canvas.port_item import ACCEPTS, REFUSES
from designer.document.model_api import edits
from tests.support.widgets import drag_edge, drag_node, drop_step, port_item
from tests.support.yaml_texts import EPOCHS_3, node, pipeline, step

pytestmark = pytest.mark.gui

TWO_STEPS = (
    step("prep", body="inputs:\n  - name: raw\n")
    + step("train", body=EPOCHS_3 + "inputs:\n  - name: data\n")
    + pipeline("p", node("prep"), node("train"), edges=["[prep.output.*.csv, train.input.data]"])
)


@pytest.fixture
def two_nodes(window, tmp_path):
    path = tmp_path / "valohai.yaml"
    path.write_text(TWO_STEPS, encoding="utf-8")
    assert window.files.open_path(path, confirm=False)
    return window


def _refused(window, source: str, target: str, reason_part: str) -> None:
    messages: list[str] = []
    window.editor.message.connect(messages.append)
    text, count = window.document.text, window.document.undo_stack.count()
    drag_edge(window, source, target)
    assert window.document.text == text and window.document.undo_stack.count() == count
    assert any(reason_part in m for m in messages), messages


def test_incompatible_port_is_refused_with_reason(two_nodes) -> None:
    _refused(two_nodes, "prep.output.*", "train.parameter.epochs", "cannot feed a parameter")


def test_cycle_is_refused_with_its_path(two_nodes) -> None:
    _refused(two_nodes, "train.output.*", "prep.input.raw", "cycle: train → prep → train")


def test_duplicate_is_refused(two_nodes) -> None:
    _refused(two_nodes, "prep.output.*.csv", "train.input.data", "already connected")


def test_compatible_ports_highlight_while_dragging(two_nodes) -> None:
    w = two_nodes
    viewport = w.view.viewport()
    src = port_item(w, "prep.output.*", "out")
    w.view.centerOn(src.scenePos())
    start = w.view.mapFromScene(src.scenePos())
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(viewport, start + QPoint(40, 10))
    data = port_item(w, "train.input.data", "in")
    epochs = port_item(w, "train.parameter.epochs", "in")
    raw = port_item(w, "prep.input.raw", "in")
    assert data.state == ACCEPTS
    assert epochs.state == REFUSES and "parameter" in (epochs.refusal or "")
    assert raw.state == REFUSES and "itself" in (raw.refusal or "")
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    assert data.state == epochs.state == 0  # highlights cleared


def test_move_is_one_command_in_the_sidecar_not_the_yaml(two_nodes) -> None:
    w = two_nodes
    text = w.document.text
    before = w.document.positions("p")["train"]
    count = w.document.undo_stack.count()
    drag_node(w, "train", 100, 60)
    after = w.document.positions("p")["train"]
    assert after != before and after[0] % 20 == 0 and after[1] % 20 == 0  # snapped to the grid
    assert w.document.undo_stack.count() == count + 1
    assert w.document.text == text
    w.document.undo_stack.undo()
    assert w.document.positions("p")["train"] == before
    assert (w.scene.node_items["train"].x(), w.scene.node_items["train"].y()) == before


def test_delete_key_removes_node_with_its_edges_and_undo_restores(two_nodes, qtbot) -> None:
    w = two_nodes
    original = w.document.text
    w.scene.select_node("prep")
    w.view.setFocus()
    qtbot.keyClick(w.view, Qt.Key.Key_Delete)
    assert set(w.scene.node_items) == {"train"} and not w.scene.edge_items
    assert "prep.output" not in w.document.text
    w.document.undo_stack.undo()
    assert w.document.text == original
    assert set(w.scene.node_items) == {"prep", "train"} and len(w.scene.edge_items) == 1


def test_delete_an_edge(two_nodes, qtbot) -> None:
    w = two_nodes
    w.scene.select_edge(0)
    w.view.setFocus()
    qtbot.keyClick(w.view, Qt.Key.Key_Delete)
    assert not w.scene.edge_items and w.document.view("p").edges == []
    assert set(w.scene.node_items) == {"prep", "train"}


def test_duplicate_shortcut_copies_selected_nodes(two_nodes, qtbot) -> None:
    w = two_nodes
    w.scene.select_node("train")
    w.view.setFocus()
    qtbot.keyClick(w.view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert "train-2" in w.scene.node_items
    assert w.scene.selected_node_names() == ["train-2"]


def test_palette_drop_without_pipeline_creates_one(window) -> None:
    window.files.new()
    assert window.editor.add_step("a", "busybox", "date") is None
    drop_step(window, "a", (100, 100))
    assert window.document.pipeline_names() == ["Pipeline 1"]
    assert set(window.scene.node_items) == {"a"}
    window.document.undo_stack.undo()  # the drop is one step: pipeline and node together
    assert window.document.pipeline_names() == []


def test_edit_refusal_never_reaches_the_stack(two_nodes) -> None:
    w = two_nodes
    count = w.document.undo_stack.count()
    error = w.editor.edit("bad", edits.add_node, "p", "prep", "train")
    assert error and "already has a node" in error
    assert w.document.undo_stack.count() == count


def test_big_graphs_draw_edges_fast_only_while_dragging(two_nodes, monkeypatch) -> None:
    import designer.canvas.scene as scene_module

    w = two_nodes
    monkeypatch.setattr(scene_module, "FAST_EDGES_ABOVE", 0)
    w.scene.clear_all()
    w._refresh_scene()
    assert w.scene.fast_edges
    viewport = w.view.viewport()
    item = w.scene.node_items["train"]
    w.view.centerOn(item)
    start = w.view.mapFromScene(item.scenePos() + QPointF(30, 12))
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(viewport, start + QPoint(30, 30))
    assert w.scene.interacting
    QTest.mouseRelease(
        viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(30, 30)
    )
    assert not w.scene.interacting
