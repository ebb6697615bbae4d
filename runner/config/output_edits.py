"""Edits of a step's declared outputs (``outputs: [{name, description}]``, valohai-yaml's schema).

A declared output is a file name or a glob pattern (``model.pkl``, ``metrics/*.json``); the
designer draws it as an output port, so an edge ``train.output.model.pkl`` can be drawn from it.
Renaming one renames the edges that use it, as renaming an input does.
"""

from __future__ import annotations

from typing import Any

from runner.config.document import YamlDocument
from runner.config.edits import _add_spec, _remove_spec, _rename_spec, _set_spec_field

_TABLE = "outputs"


def add_output(doc: YamlDocument, step: str, spec: dict[str, Any]) -> None:
    _add_spec(doc, step, _TABLE, spec)


def remove_output(doc: YamlDocument, step: str, name: str) -> None:
    _remove_spec(doc, step, _TABLE, name)


def rename_output(doc: YamlDocument, step: str, old: str, new: str) -> None:
    _rename_spec(doc, step, _TABLE, old, new)


def set_output_field(doc: YamlDocument, step: str, name: str, key: str, value: Any) -> None:
    _set_spec_field(doc, step, _TABLE, name, key, value)


__all__ = ["add_output", "remove_output", "rename_output", "set_output_field"]
