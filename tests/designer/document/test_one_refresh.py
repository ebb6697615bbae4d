"""One edit, one refresh (issue 19): whatever an edit touches, the scene is projected and the
Inspector refreshed once, after the document has announced the change once."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

import runner.config.loader as yaml_loader
from designer.canvas.scene import PipelineScene
from designer.document.model_api import edits
from designer.panels.inspector import InspectorPanel

pytestmark = pytest.mark.gui
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def counted(make_window, tmp_path, monkeypatch):
    """The example pipeline (3 nodes, 5 edges) in a window whose scene projections, Inspector
    refreshes and parses of the whole YAML text are counted."""
    calls: Counter[str] = Counter()

    def count(name, real):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(PipelineScene, "show_pipeline", count("scene", PipelineScene.show_pipeline))
    monkeypatch.setattr(InspectorPanel, "refresh", count("inspector", InspectorPanel.refresh))
    # Every parse of a whole text, whichever module asks for it, builds one loader.
    monkeypatch.setattr(yaml_loader, "_Loader", count("parse", yaml_loader._Loader))
    shutil.copytree(REPO / "examples", tmp_path / "ex", ignore=shutil.ignore_patterns("__pycache__"))
    window = make_window()
    assert window.files.open_path(tmp_path / "ex" / "valohai.yaml", confirm=False)
    view = window.document.view(window.current_pipeline)
    assert (len(view.nodes), len(view.edges)) == (3, 5)
    window.document.changed.connect(lambda: calls.update(["changed"]))
    calls.clear()
    return window, calls


def test_deleting_3_nodes_with_5_edges_refreshes_once(counted, qtbot) -> None:
    window, calls = counted
    for item in window.scene.node_items.values():
        item.setSelected(True)
    calls.clear()
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert not window.scene.node_items and not window.scene.edge_items
    assert (calls["changed"], calls["scene"], calls["inspector"]) == (1, 1, 1), calls
    calls.clear()
    window.actions.undo.trigger()
    assert len(window.scene.node_items) == 3 and len(window.scene.edge_items) == 5
    assert (calls["changed"], calls["scene"], calls["inspector"]) == (1, 1, 1), calls
    assert calls["parse"] <= 1, calls  # the designer adds no parse of its own


def test_an_inspector_edit_refreshes_once_and_parses_once(counted, qtbot) -> None:
    window, calls = counted
    window.scene.select_node("train")
    calls.clear()
    form = window.inspector.node_form
    error = window.editor.edit("Rename", edits.rename_node, window.current_pipeline, "train", "fit")
    assert error is None and "fit" in window.scene.node_items
    assert (calls["changed"], calls["scene"], calls["inspector"]) == (1, 1, 1), calls
    assert calls["parse"] <= 1, calls
    assert form.isVisible() or window.inspector.empty.isVisible()


def test_a_paste_of_two_nodes_refreshes_once(counted, qtbot) -> None:
    window, calls = counted
    window.scene.node_items["train"].setSelected(True)
    window.scene.node_items["evaluate"].setSelected(True)
    calls.clear()
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert {"train-2", "evaluate-2"} <= set(window.scene.node_items)
    assert (calls["changed"], calls["scene"]) == (1, 1), calls
