"""Edits of pipelines as a whole: add, remove, rename, and ``reuse-executions``."""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from runner.config.document import YamlDocument
from runner.config.edits._tree import check_name, find, remove_top_level, set_or_delete
from runner.config.edits.rename import rename_item
from runner.config.errors import DuplicateNameError, EditError

__all__ = ["add_pipeline", "remove_pipeline", "rename_pipeline", "set_reuse_executions"]


def add_pipeline(doc: YamlDocument, name: str) -> None:
    check_name(name, "pipeline")
    if name in doc.loaded.config_pipeline_names():
        raise DuplicateNameError(f'A pipeline named "{name}" already exists')
    body = CommentedMap([("name", name), ("nodes", CommentedSeq()), ("edges", CommentedSeq())])
    doc.apply(lambda tree: tree.append(CommentedMap([("pipeline", body)])))


def remove_pipeline(doc: YamlDocument, name: str) -> None:
    doc.apply(lambda tree: remove_top_level(tree, "pipeline", name))


def rename_pipeline(doc: YamlDocument, old: str, new: str) -> None:
    rename_item(doc, "pipeline", old, new)


def set_reuse_executions(doc: YamlDocument, pipeline: str, reuse: bool) -> None:
    """``reuse-executions: true``; false removes the key (false is the default) unless written."""
    if not isinstance(reuse, bool):
        raise EditError("reuse-executions is true or false")

    def mutate(tree: Any) -> None:
        body = find(tree, "pipeline", pipeline)
        written = "reuse-executions" in body
        set_or_delete(body, "reuse-executions", True if reuse else (False if written else None))

    doc.apply(mutate)
