"""The pipeline DAG (``PipelineGraph``, on networkx, loaded on first use: the scheduler a run
needs imports nothing of it, and networkx takes ~0.1 s to import)."""

from __future__ import annotations

from typing import Any

__all__ = ["PipelineGraph", "ResolvedEdge"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from runner.dag import graph

        return getattr(graph, name)
    raise AttributeError(f"module 'runner.dag' has no attribute {name!r}")
