"""Pipeline edge ends ("sockets"): ``node.type.key`` strings split into their parts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def split_socket(socket: str) -> tuple[str, str, str] | None:
    """``"pre.output.*.csv"`` → ``("pre", "output", "*.csv")``: split on the first two dots only."""
    parts = socket.split(".", 2)
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else None


@dataclass(frozen=True)
class ResolvedEdge:
    """One pipeline edge split into its two sockets, e.g. ``train.output.model*`` → ``eval.input.model``."""

    index: int  # position in the pipeline's ``edges`` list
    source_node: str
    source_type: str  # output | input | parameter | metadata
    source_key: str  # a glob pattern for outputs, else a name
    target_node: str
    target_type: str  # input | parameter | file | ...
    target_key: str

    @property
    def source(self) -> str:
        return f"{self.source_node}.{self.source_type}.{self.source_key}"

    @property
    def target(self) -> str:
        return f"{self.target_node}.{self.target_type}.{self.target_key}"


def resolve_edges(pipeline: Any) -> list[ResolvedEdge]:
    """The edges of a valohai-yaml ``Pipeline``, in YAML order."""
    return [
        ResolvedEdge(
            index, e.source_node, e.source_type, e.source_key, e.target_node, e.target_type, e.target_key
        )
        for index, e in enumerate(pipeline.edges)
    ]
