"""The pipeline selector shown in the tool bar."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QWidget


class PipelineBar(QWidget):
    # The user picked another pipeline
    pipeline_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox(self)
        self.combo.setMinimumContentsLength(18)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.combo.setToolTip("The pipeline shown on the canvas")
        self.combo.currentTextChanged.connect(self._changed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 4, 0)
        layout.addWidget(QLabel("Pipeline:", self))
        layout.addWidget(self.combo)
        self._updating = False

    def set_pipelines(self, names: list[str], current: str | None) -> None:
        self._updating = True
        self.combo.clear()
        self.combo.addItems(names)
        if current in names:
            self.combo.setCurrentText(current)
        self.combo.setEnabled(bool(names))
        if not names:
            self.combo.setPlaceholderText("(no pipeline)")
        self._updating = False

    def current(self) -> str | None:
        return self.combo.currentText() or None

    def _changed(self, name: str) -> None:
        if not self._updating and name:
            self.pipeline_selected.emit(name)
