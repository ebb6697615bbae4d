"""The "New step…" dialog: name, image and command of a step, checked as typed."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget


class NewStepDialog(QDialog):
    def __init__(self, taken: set[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New Step")
        self._taken = taken
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("e.g. train-model")
        self.image = QLineEdit("python:3.12", self)
        self.command = QLineEdit("python main.py {parameters}", self)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #cf222e")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, parent=self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Name:", self.name)
        form.addRow("Docker image:", self.image)
        form.addRow("Command:", self.command)
        form.addRow(self.error)
        form.addRow(self.buttons)
        for edit in (self.name, self.image, self.command):
            edit.textChanged.connect(self._validate)
        self._validate()
        self.resize(440, self.sizeHint().height())

    def _validate(self) -> None:
        name = self.name.text().strip()
        problem = ""
        if name in self._taken:
            problem = f"A step named “{name}” already exists."
        elif name and not self.image.text().strip():
            problem = "A step needs a Docker image."
        self.error.setText(problem)
        ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok_button.setEnabled(bool(name) and not problem)

    def values(self) -> tuple[str, str, str]:
        return self.name.text().strip(), self.image.text().strip(), self.command.text().strip()
