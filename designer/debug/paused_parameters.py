"""The parameters of a node paused before it starts, editable: one field per parameter of its
step, typed as the step declares it (a check box for a flag, a list for choices, a checked text
field for numbers), showing the value it would get. Continue runs it with what was changed."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLabel, QLineEdit, QWidget

from designer.panels.value_parsing import parse_default


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else repr(value)
    return "" if value is None else str(value)


class PausedParameters(QWidget):
    """``show_node(definitions, values)``; ``changed()`` -> the values edited (ValueError naming
    the parameter and what is wrong when a field cannot be read)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._form = QFormLayout(self)
        self._form.setContentsMargins(0, 4, 0, 4)
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.fields: dict[str, QWidget] = {}
        self._defs: dict[str, Any] = {}
        self._values: dict[str, Any] = {}

    def show_node(self, definitions: dict[str, Any], values: dict[str, Any]) -> None:
        """``definitions``: name -> the step's parameter (valohai-yaml ``Parameter``); ``values``:
        what the node would run with now (its staged parameters)."""
        while self._form.rowCount():
            self._form.removeRow(0)
        self.fields, self._defs, self._values = {}, dict(definitions), dict(values)
        for name, definition in definitions.items():
            field = self._field(definition, values.get(name))
            field.setObjectName(f"param-{name}")
            label = QLabel(name, self)
            tip = str(getattr(definition, "description", "") or "")
            kind = str(definition.type or "string") + (" list" if definition.multiple else "")
            label.setToolTip(f"{kind}{': ' + tip if tip else ''}")
            field.setToolTip(label.toolTip())
            self._form.addRow(label, field)
            self.fields[name] = field
        self.setVisible(bool(definitions))

    def _field(self, definition: Any, value: Any) -> QWidget:
        if definition.type == "flag" and not definition.multiple:
            box = QCheckBox(self)
            box.setChecked(bool(value))
            return box
        if definition.choices and not definition.multiple:
            combo = QComboBox(self)
            combo.addItems([_text(c) for c in definition.choices])
            combo.setCurrentIndex(max(combo.findText(_text(value)), 0))
            return combo
        line = QLineEdit(_text(value), self)
        line.setMinimumWidth(160)
        line.setAlignment(Qt.AlignmentFlag.AlignLeft)
        if definition.multiple:
            line.setPlaceholderText("comma-separated")
        return line

    def values(self) -> dict[str, Any]:
        """Every parameter as the fields say (ValueError: "rounds: “x” is not a whole number")."""
        out: dict[str, Any] = {}
        for name, field in self.fields.items():
            definition = self._defs[name]
            if isinstance(field, QCheckBox):
                out[name] = field.isChecked()
                continue
            text = field.currentText() if isinstance(field, QComboBox) else field.text()  # type: ignore[attr-defined]
            try:
                value = parse_default(text, str(definition.type or "string"), bool(definition.multiple))
                if isinstance(field, QComboBox):
                    value = next((c for c in definition.choices if _text(c) == text), value)
                self._check_range(definition, value)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
            if value is None and not definition.optional:
                raise ValueError(f"{name}: give a value (it is not optional)")
            out[name] = value
        return out

    def changed(self) -> dict[str, Any]:
        """Only what differs from the values it was shown with."""
        return {k: v for k, v in self.values().items() if v != self._values.get(k)}

    @staticmethod
    def _check_range(definition: Any, value: Any) -> None:
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, int | float) or isinstance(item, bool):
                continue
            if definition.min is not None and item < definition.min:
                raise ValueError(f"{_text(item)} is below the minimum {_text(definition.min)}")
            if definition.max is not None and item > definition.max:
                raise ValueError(f"{_text(item)} is above the maximum {_text(definition.max)}")
