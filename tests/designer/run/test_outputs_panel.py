"""The Outputs dock over a real store: export paths that refuse traversal, text and image
previews, sizes in words."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from designer.run.outputs_panel import export_path, human_size, preview_kind
from tests.support.stored_runs import store_run


def test_output_export_path_refuses_traversal(tmp_path: Path) -> None:
    assert (
        export_path(tmp_path, "e1", "sub/model.npz")
        == (tmp_path / "exports" / "e1" / "sub" / "model.npz").resolve()
    )
    for bad in ("../x", "/etc/passwd", "a/../../x", ""):
        with pytest.raises(ValueError, match="refusing"):
            export_path(tmp_path, "e1", bad)
    assert preview_kind("a.csv", 10) == "text" and preview_kind("p.png", 10) == "image"
    assert preview_kind("p.png", 10**9) == "none" and preview_kind("m.npz", 10) == "none"
    assert human_size(512) == "512 B" and human_size(2048) == "2.0 KiB"


@pytest.mark.gui
def test_outputs_preview_and_export(qtbot, tmp_path: Path) -> None:
    from designer.bridge.history import RunHistory
    from designer.run.outputs_panel import OutputsPanel

    home = tmp_path / "home"
    store_run(home, "20260101-000000-aaaaaa", 0.1, {"table.csv": b"a,b\n1,2\n", "blob.bin": b"\x00\x01"})
    history = RunHistory(home)
    panel = OutputsPanel(history)
    qtbot.addWidget(panel)
    panel.show_execution(history.execution("20260101-000000-aaaaaa", "train"))
    assert [r["path"] for r in panel.rows] == ["blob.bin", "table.csv"]
    assert panel.table.item(0, 1).text() == "2 B"
    panel.table.selectRow(1)
    assert panel.preview.currentWidget() is panel.preview_text
    assert panel.preview_text.toPlainText() == "a,b\n1,2\n"
    exported = panel.exported(panel.rows[1])
    assert exported.read_bytes() == b"a,b\n1,2\n" and exported.name == "table.csv"


@pytest.mark.gui
def test_outputs_image_preview(qtbot, tmp_path: Path) -> None:
    from PySide6.QtGui import QColor

    from designer.bridge.history import RunHistory
    from designer.run.outputs_panel import OutputsPanel

    image = QImage(64, 32, QImage.Format.Format_RGB32)
    image.fill(QColor("#2f7fe0"))
    png = tmp_path / "p.png"
    assert image.save(str(png))
    home = tmp_path / "home"
    store_run(home, "20260101-000000-cccccc", 0.1, {"plot.png": png.read_bytes(), "bad.png": b"not png"})
    history = RunHistory(home)
    panel = OutputsPanel(history)
    qtbot.addWidget(panel)
    panel.show_execution(history.execution("20260101-000000-cccccc", "train"))
    paths = [r["path"] for r in panel.rows]
    panel.table.selectRow(paths.index("plot.png"))
    assert panel.preview.currentWidget() is panel.preview_image
    assert panel.preview_image.pixmap().width() > 64  # scaled up to the preview size, aspect kept
    panel.table.selectRow(paths.index("bad.png"))
    assert panel.preview.currentWidget() is panel.preview_none
    assert panel.preview_none.text() == "Not a readable image"
