"""The runs table's filter bar: file, pipeline, status, tag (asked of the store) and free text.

The file filter starts on the open file ("This file"); "All files" lists every file's runs.
Each change emits ``changed``; the text filter, applied in the table itself, emits ``text_changed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

ANY = ""  # the "no filter" choice of a combo
THIS_FILE = "\x00this-file"
STATUSES = ("succeeded", "failed", "cancelled", "stopped", "running", "interrupted")


@dataclass(frozen=True)
class RunQuery:
    """What the store is asked for: ``RunStore.runs``' filters (None: no filter)."""

    file: str | None = None
    pipeline: str | None = None
    status: str | None = None
    tag: str | None = None

    def kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def _combo(parent: QWidget, tip: str, everything: str) -> QComboBox:
    combo = QComboBox(parent)
    combo.setToolTip(tip)
    combo.addItem(everything, ANY)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return combo


def _refill(combo: QComboBox, fixed: list[tuple[str, str]], values: list[str], label: Any = str) -> None:
    """Keep the fixed items and the current choice; offer ``values`` after them."""
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for text, data in fixed:
        combo.addItem(text, data)
    for value in values:
        combo.addItem(label(value), value)
    if current not in [combo.itemData(i) for i in range(combo.count())]:
        combo.addItem(label(current), current)  # a choice no longer listed stays chosen
    combo.setCurrentIndex(max(0, combo.findData(current)))
    combo.blockSignals(False)


class RunFilterBar(QWidget):
    # A store filter changed (file, pipeline, status or tag)
    changed = Signal()
    # The free-text filter changed (its text)
    text_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.open_file: str | None = None  # the open document's file (as the store records it)
        self.file = _combo(self, "Whose runs: the open file's, every file's, or one file's", "All files")
        self.file.insertItem(0, "This file", THIS_FILE)
        self.file.setCurrentIndex(0)
        self.pipeline = _combo(self, "Runs of one pipeline (or of a single step)", "All pipelines")
        self.status = _combo(self, "Runs that ended so", "Any status")
        for status in STATUSES:
            self.status.addItem(status, status)
        self.tag = _combo(self, "Runs carrying this tag", "Any tag")
        self.text = QLineEdit(self)
        self.text.setPlaceholderText("Filter: run, note, lr=0.1, …")
        self.text.setClearButtonEnabled(True)
        self.text.setToolTip("Rows containing every word typed, in any column (a note, a tag, lr=0.1)")
        self.text.textChanged.connect(self.text_changed)
        for combo in (self.file, self.pipeline, self.status, self.tag):
            combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Filter:", self))
        for w in (self.file, self.pipeline, self.status, self.tag):
            row.addWidget(w)
        row.addWidget(self.text, 1)

    def set_choices(self, files: list[str], pipelines: list[str], tags: list[str]) -> None:
        """What the combos offer besides "any" (the store's files, pipelines and tags)."""
        _refill(self.file, [("This file", THIS_FILE), ("All files", ANY)], files, label=_file_label)
        _refill(self.pipeline, [("All pipelines", ANY)], pipelines)
        _refill(self.tag, [("Any tag", ANY)], tags)

    def all_files(self) -> bool:
        return self.file.currentData() == ANY

    def set_all_files(self, on: bool) -> None:
        """Every file's runs (on), or the open file's (off)."""
        self.file.setCurrentIndex(self.file.findData(ANY if on else THIS_FILE))

    def query(self) -> RunQuery:
        file = self.file.currentData()
        return RunQuery(
            file=self.open_file if file == THIS_FILE else (file or None),
            pipeline=self.pipeline.currentData() or None,
            status=self.status.currentData() or None,
            tag=self.tag.currentData() or None,
        )


def _file_label(path: str) -> str:
    """``mnist/valohai.yaml`` (the folder too: every project's file has the same name)."""
    p = Path(path)
    return f"{p.parent.name}/{p.name}" if p.parent.name else p.name


__all__ = ["ANY", "THIS_FILE", "RunFilterBar", "RunQuery"]
