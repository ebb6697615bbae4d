"""The one place where the designer reaches into ``runner``'s model API.

Everything else in ``designer`` imports these names from here, so that the facade can change
(or move to ``runner.api``) without touching the rest of the package.
"""

from __future__ import annotations

from runner.config import (
    ConfigLoadError,
    Diagnostic,
    LoadedConfig,
    edits,
    endpoint_edits,
    lint,
    load_text,
    node_edits,
    pipeline_edits,
    task_edits,
)
from runner.config.checks import ALLOWED_TARGETS
from runner.config.document import YamlDocument
from runner.config.errors import CycleError, EdgeError, EditError
from runner.config.sidecar import Layout
from runner.config.sockets import ResolvedEdge, resolve_edges
from runner.dag import PipelineGraph
from runner.dag.layout import layered_layout
from runner.execution.sweep import SweepError, expand_blueprint

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
