"""The runner's model names (load, lint, edits, typed views) for the document, canvas and panels.

They come from ``runner.api``, the only runner module the designer imports besides
``runner.events`` (the rest of the designer, ``run/`` and ``bridge/``, imports ``runner.api``
directly); an import-linter contract in pyproject.toml holds the designer to that (only the
command-line entry point, designer/cli.py, hands subcommands to the runner's CLI).
Importing them from here keeps the document side's list of runner names in one place.
"""

from __future__ import annotations

from runner.api import (
    ALLOWED_TARGETS,
    ConfigLoadError,
    CycleError,
    Diagnostic,
    EdgeError,
    EditError,
    Layout,
    LoadedConfig,
    PipelineGraph,
    ResolvedEdge,
    SweepError,
    YamlDocument,
    atomic_write,
    edits,
    endpoint_edits,
    expand_blueprint,
    layered_layout,
    lint,
    load_text,
    node_edits,
    pipeline_edits,
    query,
    read_text,
    resolve_edges,
    task_edits,
    to_plain,
)

__all__ = [
    "ALLOWED_TARGETS",
    "ConfigLoadError",
    "CycleError",
    "Diagnostic",
    "EdgeError",
    "EditError",
    "Layout",
    "LoadedConfig",
    "PipelineGraph",
    "ResolvedEdge",
    "SweepError",
    "YamlDocument",
    "atomic_write",
    "edits",
    "endpoint_edits",
    "expand_blueprint",
    "layered_layout",
    "lint",
    "load_text",
    "node_edits",
    "pipeline_edits",
    "query",
    "read_text",
    "resolve_edges",
    "task_edits",
    "to_plain",
]
