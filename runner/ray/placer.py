"""Placing on a Ray cluster: Ray decides where each node runs and which GPUs it gets; we only
say at once when no node of the cluster could ever take it (Ray would wait for ever).

Same interface as ``runner.execution.placement.Placer`` (``demand``, ``place``, ``release``,
``capacity``): a placement names the cluster, never GPU ids (Ray assigns those on the worker).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runner.execution.placement import Demand, NoHostError, Placement
from runner.ray.remote.cluster import infeasible

UNBOUNDED = 1 << 16  # the run's own concurrency applies; Ray queues what does not fit


class ClusterPlacer:
    def __init__(
        self, name: str, environments: tuple[str, ...], nodes: Callable[[], list[dict[str, Any]]]
    ) -> None:
        self.name, self.environments, self._nodes = name, environments, nodes
        self._demands: dict[str, Demand] = {}
        self.capacity = UNBOUNDED

    def demand(self, gpus: int, environment: str | None) -> Demand:
        """An environment this cluster serves asks for one GPU when devices say nothing (as for
        hosts), if the cluster has GPUs at all."""
        mapped = bool(environment) and environment in self.environments
        if gpus == 0 and mapped and any(n["alive"] and n["gpus"] for n in self._nodes()):
            gpus = 1
        return Demand(gpus, environment)

    def place(self, unit: str, demand: Demand) -> Placement:
        why = infeasible(demand.gpus, self._nodes())
        if why:
            raise NoHostError(f"{why} (Ray cluster {self.name})")
        self._demands[unit] = demand
        return Placement(self.name)

    def demand_of(self, unit: str) -> Demand:
        return self._demands.get(unit, Demand())

    def release(self, unit: str) -> None:
        self._demands.pop(unit, None)

    def hosts(self) -> list[str]:
        return [self.name]
