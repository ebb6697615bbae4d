"""The rules of one varied parameter, with only the fields its style reads
(``multiple``: values; ``linear``: start/end/step; ``logspace``: start/end/count/base;
``random``: min/max/count/seed/integerify/distribution; ``single``: value)."""

from __future__ import annotations

from typing import Any

import yaml
from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QWidget

from designer.document.model_api import task_edits
from designer.panels.form_fields import LineField
from designer.panels.value_parsing import format_value, parse_number


def _scalar(text: str) -> Any:
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text.strip()
    if isinstance(value, dict | list):
        raise ValueError(f"“{text.strip()}” is not a single value")
    return value


def parse_items(text: str) -> list[Any]:
    """``0.1, 0.01`` or a YAML list ``[a, "b, c"]``: the values of a ``multiple`` variant."""
    text = text.strip()
    if not text:
        raise ValueError("List at least one value, e.g. 0.1, 0.01, 0.001")
    if text.startswith("["):
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"not a valid YAML list: {getattr(exc, 'problem', exc)}") from None
        if not isinstance(value, list) or any(isinstance(v, dict | list) or v is None for v in value):
            raise ValueError("A YAML list of plain values, e.g. [0.1, 0.01]")
        return value
    return [_scalar(part) for part in text.split(",") if part.strip()]


def _number(text: str) -> Any:
    if not text.strip():
        return None
    return parse_number(text)


def _whole(text: str) -> Any:
    value = _number(text)
    if value is not None and not isinstance(value, int):
        raise ValueError(f"“{text.strip()}” is not a whole number")
    return value


def _value(text: str) -> Any:
    if not text.strip():
        raise ValueError("A single-value variant needs a value")
    return _scalar(text)


# key -> (label, parser)
_FIELDS: dict[str, tuple[str, Any]] = {
    "value": ("Value", _value),
    "items": ("Values", parse_items),
    "start": ("Start", _number),
    "end": ("End", _number),
    "step": ("Step", _number),
    "count": ("Count", _whole),
    "base": ("Base", _number),
    "min": ("Min", _number),
    "max": ("Max", _number),
    "seed": ("Seed", _whole),
}
_PLACEHOLDERS = {"base": "10", "count": "1", "seed": "random each run", "items": "0.1, 0.01 or [a, b]"}


def summary(style: str, rules: Any) -> str:
    """One line for the variant table, e.g. ``0 → 1 step 0.1``."""
    r = rules if isinstance(rules, dict) else {}
    if style == "multiple":
        return format_value(r.get("items"))
    if style == "linear":
        return f"{r.get('start')} → {r.get('end')} step {r.get('step')}"
    if style == "logspace":
        base = r.get("base", 10)
        return f"{base}^{r.get('start')} … {base}^{r.get('end')}, {r.get('count')} values"
    if style == "random":
        return f"{r.get('min')} … {r.get('max')} ({r.get('distribution') or 'uniform'})"
    return format_value(r.get("value"))


class RulesEditor(QWidget):
    # (rule key, value); None removes an optional rule
    rule_edited = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.style = "single"
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.fields: dict[str, LineField] = {}
        for key, (label, parse) in _FIELDS.items():
            field = LineField(parse, self)
            field.setPlaceholderText(_PLACEHOLDERS.get(key, ""))
            field.committed.connect(lambda v, key=key: self.rule_edited.emit(key, v))
            self.fields[key] = field
            self.form.addRow(label, field)
        self.integerify = QCheckBox("Round to whole numbers", self)
        self.integerify.clicked.connect(lambda on: self.rule_edited.emit("integerify", on or None))
        self.distribution = QComboBox(self)
        self.distribution.addItems(["uniform", *task_edits.DISTRIBUTIONS[1:]])
        self.distribution.activated.connect(
            lambda _i: self.rule_edited.emit("distribution", self.distribution.currentText())
        )
        self.form.addRow("Integerify", self.integerify)
        self.form.addRow("Distribution", self.distribution)

    def problem_fields(self) -> list[LineField]:
        return list(self.fields.values())

    def show_rules(self, style: str, rules: dict[str, Any]) -> None:
        self.style = style
        keys = task_edits.STYLE_RULES.get(style, ())
        for key, field in self.fields.items():
            self.form.setRowVisible(field, key in keys)
            field.set_value(format_value(rules.get(key)) if key in rules else "")
        for key, widget in (("integerify", self.integerify), ("distribution", self.distribution)):
            self.form.setRowVisible(widget, key in keys)
        with QSignalBlocker(self.integerify):
            self.integerify.setChecked(bool(rules.get("integerify")))
        with QSignalBlocker(self.distribution):
            self.distribution.setCurrentText(str(rules.get("distribution") or "uniform"))
