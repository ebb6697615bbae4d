"""The pipeline DAG."""

from runner.dag.graph import PipelineGraph, ResolvedEdge

__all__ = ["PipelineGraph", "ResolvedEdge"]
