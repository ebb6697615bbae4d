"""Set any value by its config path: the escape hatch for fields without their own edit."""

from __future__ import annotations

from typing import Any

from runner.config.document import YamlDocument
from runner.config.edits._tree import set_or_delete

__all__ = ["set_value"]


def set_value(doc: YamlDocument, path: tuple[str | int, ...], value: Any) -> None:
    """Set any value by config path, e.g. ``(0, "step", "parameters", 1, "default")``
    (``None`` removes a mapping key)."""

    def mutate(tree: Any) -> None:
        node = tree
        for key in path[:-1]:
            node = node[key]
        if isinstance(node, dict):
            set_or_delete(node, str(path[-1]), value)
        else:
            node[path[-1]] = value

    doc.apply(mutate)
