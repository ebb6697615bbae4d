"""The one place where the designer reaches into ``runner``'s model API.

Everything else in ``designer`` imports these names from here, so that the facade can change
(or move to ``runner.api``) without touching the rest of the package.
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
    edits,
    endpoint_edits,
    expand_blueprint,
    layered_layout,
    lint,
    load_text,
    node_edits,
    pipeline_edits,
    resolve_edges,
    task_edits,
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
    "edits",
    "endpoint_edits",
    "expand_blueprint",
    "layered_layout",
    "lint",
    "load_text",
    "node_edits",
    "pipeline_edits",
    "resolve_edges",
    "task_edits",
]
