"""Outputs of the selected node: size and hash, open the file or its folder, inline preview.

Stored outputs are immutable files named by their hash; to open one with the user's
application it is first copied under its own name into ``<home>/exports/<execution id>/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.bridge.history import RunHistory

TEXT_PREVIEW_BYTES = 256 * 1024
IMAGE_PREVIEW_BYTES = 8 * 1024 * 1024
TEXT_SUFFIXES = {".txt", ".csv", ".tsv", ".json", ".log", ".md", ".yaml", ".yml", ".py", ".ini", ".cfg"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".svg", ".webp"}


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def export_path(root: Path, execution_id: str, output_path: str) -> Path:
    """Where an output is copied to be opened; refuses paths that would leave the folder."""
    base = (root / "exports" / execution_id).resolve()
    target = (base / output_path).resolve()
    if not target.is_relative_to(base) or target == base:
        raise ValueError(f"refusing output path {output_path!r}")
    return target


def preview_kind(path: str, size: int) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_SUFFIXES and size <= IMAGE_PREVIEW_BYTES:
        return "image"
    if suffix in TEXT_SUFFIXES:
        return "text"
    return "none"


class OutputsPanel(QWidget):
    # Show where the shown execution's inputs came from and who consumed its outputs (run id, node)
    lineage_requested = Signal(str, str)

    def __init__(self, history: RunHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.execution: dict[str, Any] | None = None
        self.rows: list[dict[str, Any]] = []
        self.title = QLabel("No node selected", self)
        self.decision = QLabel(self)  # which rule reused it or made it run again
        self.decision.setWordWrap(True)
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["Output", "Size", "sha256"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.table.cellDoubleClicked.connect(lambda *_: self.open_file())
        self.open_b = QPushButton("Open", self)
        self.folder_b = QPushButton("Open folder", self)
        self.lineage_b = QPushButton("Lineage…", self)
        self.lineage_b.setToolTip("Where its inputs came from, and which executions consumed its outputs")
        self.open_b.clicked.connect(self.open_file)
        self.folder_b.clicked.connect(self.open_folder)
        self.lineage_b.clicked.connect(self._lineage)
        self.preview = QStackedWidget(self)
        self.preview_text = QPlainTextEdit(self)
        self.preview_text.setReadOnly(True)
        self.preview_image = QLabel(self)
        self.preview_none = QLabel("No preview", self)
        for w in (self.preview_none, self.preview_text, self.preview_image):
            self.preview.addWidget(w)
        buttons = QHBoxLayout()
        buttons.addWidget(self.title, 1)
        buttons.addWidget(self.open_b)
        buttons.addWidget(self.folder_b)
        buttons.addWidget(self.lineage_b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.decision)
        layout.addWidget(self.table, 2)
        layout.addWidget(self.preview, 3)
        self._update_buttons()

    def show_execution(self, execution: dict[str, Any] | None) -> None:
        self.execution = execution
        self.rows = self.history.outputs(execution["id"]) if execution else []
        self.title.setText(
            f"<b>{execution['node']}</b> · {len(self.rows)} output(s)" if execution else "No outputs"
        )
        self.decision.setText((execution or {}).get("decision") or "")
        self.decision.setVisible(bool(self.decision.text()))
        self.lineage_b.setEnabled(execution is not None)
        self.table.setRowCount(len(self.rows))
        for i, row in enumerate(self.rows):
            for col, text in enumerate((row["path"], human_size(row["size"]), row["sha256"][:16] + "…")):
                item = QTableWidgetItem(text)
                if col == 2:
                    item.setToolTip(row["sha256"])
                self.table.setItem(i, col, item)
        self.table.resizeColumnsToContents()
        self.preview.setCurrentWidget(self.preview_none)
        if self.rows:
            self.table.selectRow(0)
        self._update_buttons()

    def selected(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        has = self.selected() is not None
        self.open_b.setEnabled(has)
        self.folder_b.setEnabled(has)

    def _on_selection(self) -> None:
        self._update_buttons()
        row = self.selected()
        if row is None:
            return
        kind = preview_kind(row["path"], row["size"])
        source = self.history.artifact_path(row["sha256"])
        if kind == "text":
            with open(source, "rb") as fh:
                data = fh.read(TEXT_PREVIEW_BYTES)
            more = "\n… (truncated)" if row["size"] > TEXT_PREVIEW_BYTES else ""
            self.preview_text.setPlainText(data.decode("utf-8", errors="replace") + more)
            self.preview.setCurrentWidget(self.preview_text)
        elif kind == "image":
            image = QImage(str(source))
            if image.isNull():
                self.preview_none.setText("Not a readable image")
                self.preview.setCurrentWidget(self.preview_none)
                return
            pix = QPixmap.fromImage(image).scaled(480, 320, aspectMode=_KEEP, mode=_SMOOTH)
            self.preview_image.setPixmap(pix)
            self.preview.setCurrentWidget(self.preview_image)
        else:
            self.preview_none.setText(f"No preview for {Path(row['path']).suffix or 'this file'}")
            self.preview.setCurrentWidget(self.preview_none)

    def exported(self, row: dict[str, Any]) -> Path:
        """Copy the output under its own name (once) and return that path."""
        assert self.execution is not None
        home = self.history.artifact_path(row["sha256"]).parents[3]  # <home>/artifacts/sha256/ab/x
        target = export_path(home, self.execution["id"], row["path"])
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.history.artifact_path(row["sha256"]).read_bytes())
        return target

    def _lineage(self) -> None:
        if self.execution is not None:
            self.lineage_requested.emit(self.execution["run_id"], self.execution["node"])

    def open_file(self) -> None:
        row = self.selected()
        if row is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.exported(row))))

    def open_folder(self) -> None:
        row = self.selected()
        if row is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.exported(row).parent)))


_KEEP = Qt.AspectRatioMode.KeepAspectRatio
_SMOOTH = Qt.TransformationMode.SmoothTransformation
