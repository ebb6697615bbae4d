"""Which host runs a node: pure bookkeeping of per-host parallel slots and GPU ids. No I/O.

The executor asks ``place(node, demand)`` when the scheduler offers a ready node: a Placement,
or None when every suitable host is busy (the node stays pending). ``release`` frees the slot
and GPUs when the node finishes. ``NoHostError`` means no host of the run can ever take it.

GPUs are shared with other runs (and other people) through ``leases``, a hook that asks the host
itself (runner.hosts.gpu_lease): this bookkeeping offers the GPUs free in this run, the hook
returns those it could lease there, or None (held elsewhere: the node waits).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


class NoHostError(ValueError):
    pass


@dataclass(frozen=True)
class Slot:
    name: str
    max_parallel: int
    gpu_ids: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Demand:
    gpus: int = 0
    environment: str | None = None


@dataclass(frozen=True)
class Placement:
    host: str
    gpu_ids: tuple[str, ...] = ()


def gpus_requested(devices: Mapping[str, int] | None) -> int:
    """GPUs asked for in ``resources.devices`` (e.g. ``nvidia.com/gpu: 2``)."""
    return sum(int(n) for key, n in (devices or {}).items() if "gpu" in key.lower() and n)


class GpuLeaseHook(Protocol):
    def take(self, host: str, node: str, free: Sequence[str], count: int) -> tuple[str, ...] | None:
        """``count`` of ``free`` leased to ``node``, or None (all held elsewhere: wait)."""

    def give_back(self, host: str, node: str) -> None: ...


@dataclass
class Placer:
    slots: list[Slot]
    leases: GpuLeaseHook | None = None
    _running: dict[str, int] = field(default_factory=dict)
    _gpus_in_use: dict[str, set[str]] = field(default_factory=dict)
    _placed: dict[str, Placement] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.slots:
            raise NoHostError("no host to run on")
        for slot in self.slots:
            self._running[slot.name] = 0
            self._gpus_in_use[slot.name] = set()

    def demand(self, gpus: int, environment: str | None) -> Demand:
        """An environment mapped to a GPU host asks for one GPU when devices say nothing."""
        mapped = [s for s in self.slots if environment and environment in s.environments]
        if gpus == 0 and any(s.gpu_ids for s in mapped):
            gpus = 1
        return Demand(gpus, environment)

    def _serving(self, environment: str | None) -> list[Slot]:
        mapped = [s for s in self.slots if environment and environment in s.environments]
        return mapped or self.slots

    def candidates(self, demand: Demand) -> list[Slot]:
        """Hosts that could ever run it; raises NoHostError (with the reason) when none."""
        slots = [s for s in self._serving(demand.environment) if len(s.gpu_ids) >= demand.gpus]
        if not slots:
            best = max((len(s.gpu_ids) for s in self._serving(demand.environment)), default=0)
            where = f" serving environment {demand.environment!r}" if demand.environment else ""
            raise NoHostError(
                f"needs {demand.gpus} GPU(s) but no host{where} of this run has that many "
                f"(most: {best}; hosts: {', '.join(s.name for s in self.slots)})"
            )
        return slots

    def place(self, node: str, demand: Demand) -> Placement | None:
        free = [
            s
            for s in self.candidates(demand)
            if self._running[s.name] < s.max_parallel
            and len(s.gpu_ids) - len(self._gpus_in_use[s.name]) >= demand.gpus
        ]
        if not free:
            return None
        # CPU work prefers hosts without GPUs, then the least loaded; GPU work the most free GPUs.
        if not demand.gpus:
            return self._take(node, min(free, key=lambda s: (bool(s.gpu_ids), self._load(s))), ())
        free.sort(
            key=lambda s: (len(s.gpu_ids) - len(self._gpus_in_use[s.name]), -self._load(s)), reverse=True
        )
        for slot in free:
            ids: tuple[str, ...] | None = tuple(
                g for g in slot.gpu_ids if g not in self._gpus_in_use[slot.name]
            )
            if self.leases is not None:
                ids = self.leases.take(slot.name, node, ids, demand.gpus)
            if ids is not None:
                return self._take(node, slot, ids[: demand.gpus])
        return None

    def _take(self, node: str, slot: Slot, ids: tuple[str, ...]) -> Placement:
        self._running[slot.name] += 1
        self._gpus_in_use[slot.name].update(ids)
        placement = Placement(slot.name, ids)
        self._placed[node] = placement
        return placement

    def _load(self, slot: Slot) -> float:
        return self._running[slot.name] / slot.max_parallel

    def release(self, node: str) -> None:
        placement = self._placed.pop(node, None)
        if placement is None:
            return
        self._running[placement.host] -= 1
        self._gpus_in_use[placement.host].difference_update(placement.gpu_ids)
        if placement.gpu_ids and self.leases is not None:
            self.leases.give_back(placement.host, node)

    def placement(self, node: str) -> Placement | None:
        return self._placed.get(node)

    @property
    def capacity(self) -> int:
        return sum(s.max_parallel for s in self.slots)

    def hosts(self) -> Iterable[str]:
        return [s.name for s in self.slots]


class RunPlacements:
    """One run's placements per unit, over the backend's placer (None: one engine, no placing).

    ``place`` is asked when a unit may start: True when it was placed, or when no host can
    ever take it (``unplaceable`` then says why, and the unit fails with that reason); False
    when every suitable host is busy (ask again later). Used on the executor's loop thread.
    """

    def __init__(self, placer: Placer | None) -> None:
        self._placer = placer
        self._placed: dict[str, Placement] = {}
        self._unplaceable: dict[str, str] = {}

    @property
    def active(self) -> bool:
        return self._placer is not None

    def place(self, unit: str, gpus: int, environment: str | None) -> bool:
        if self._placer is None:
            return True
        try:
            placement = self._placer.place(unit, self._placer.demand(gpus, environment))
        except NoHostError as exc:
            self._unplaceable[unit] = str(exc)
            return True
        if placement is None:
            return False
        self._placed[unit] = placement
        return True

    def of(self, unit: str) -> Placement | None:
        return self._placed.get(unit)

    def unplaceable(self, unit: str) -> str | None:
        """Why no host of the run can take ``unit`` (None: it can be placed)."""
        return self._unplaceable.get(unit)

    def release(self, unit: str) -> None:
        """Give back the unit's host slot and GPUs (it finished, or awaits approval)."""
        if self._placer is not None:
            self._placer.release(unit)
            self._placed.pop(unit, None)
