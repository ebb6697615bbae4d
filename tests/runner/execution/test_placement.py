"""Placement (pure): per-host max-parallel, GPU ids, environment mapping; scheduler admission."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from runner.dag.scheduler import Scheduler
from runner.execution.placement import Demand, NoHostError, Placement, Placer, Slot, gpus_requested


def _placer() -> Placer:
    return Placer(
        [
            Slot("cpu", 2),
            Slot("gpu", 3, gpu_ids=("0", "1", "2"), environments=("big-gpu",)),
        ]
    )


def test_gpus_requested_reads_device_counts() -> None:
    assert gpus_requested({"nvidia.com/gpu": 2}) == 2
    assert gpus_requested({"nvidia.com/cpu": 4}) == 0
    assert gpus_requested(None) == 0


def test_cpu_work_prefers_the_host_without_gpus_until_it_is_full() -> None:
    placer = _placer()
    assert [placer.place(n, Demand()) for n in "abc"] == [
        Placement("cpu"),
        Placement("cpu"),
        Placement("gpu"),  # cpu host full (max-parallel 2): overflow goes to the GPU host
    ]
    placer.release("a")
    assert placer.place("d", Demand()) == Placement("cpu")


def test_gpu_work_gets_distinct_gpu_ids_and_waits_when_none_are_free() -> None:
    placer = _placer()
    assert placer.place("a", Demand(gpus=2)) == Placement("gpu", ("0", "1"))
    assert placer.place("b", Demand(gpus=2)) is None  # one GPU left: stays pending
    assert placer.place("c", Demand(gpus=1)) == Placement("gpu", ("2",))
    placer.release("a")
    assert placer.place("b", Demand(gpus=2)) == Placement("gpu", ("0", "1"))


def test_max_parallel_holds_for_gpu_hosts_too() -> None:
    placer = Placer([Slot("gpu", 1, gpu_ids=("0", "1"))])
    assert placer.place("a", Demand(gpus=1)) == Placement("gpu", ("0",))
    assert placer.place("b", Demand(gpus=1)) is None


def test_impossible_demands_name_the_reason() -> None:
    with pytest.raises(NoHostError, match=r"needs 4 GPU\(s\).*most: 3"):
        _placer().place("a", Demand(gpus=4))
    with pytest.raises(NoHostError, match="needs 1 GPU"):
        Placer([Slot("cpu", 4)]).place("a", Demand(gpus=1))
    with pytest.raises(NoHostError):
        Placer([])


def test_an_environment_mapped_to_a_gpu_host_asks_for_a_gpu_there() -> None:
    placer = _placer()
    demand = placer.demand(0, "big-gpu")
    assert demand == Demand(1, "big-gpu")
    assert placer.place("a", demand) == Placement("gpu", ("0",))
    assert placer.demand(0, "unmapped") == Demand(0, "unmapped")
    assert placer.place("b", placer.demand(0, "unmapped")) == Placement("cpu")


def test_scheduler_keeps_refused_nodes_pending_and_offers_them_again() -> None:
    sched = Scheduler({"a": [], "b": [], "c": []}, concurrency=10, order=["a", "b", "c"])
    assert sched.take_ready(lambda n: n != "b") == ["a", "c"]
    assert sched.status["b"] == "pending"
    assert sched.take_ready(lambda n: False) == []
    assert sched.take_ready(lambda n: True) == ["b"]
    sched2 = Scheduler({"a": [], "b": [], "c": []}, concurrency=1)
    seen: list[str] = []
    assert sched2.take_ready(lambda n: seen.append(n) or True) == ["a"]
    assert seen == ["a"]  # nothing is placed beyond the free concurrency


class _Leases:
    """A lease hook with a scripted host side: ``held`` GPUs belong to other runs."""

    def __init__(self, held: dict[str, set[str]]) -> None:
        self.held = held
        self.asked: list[tuple[str, str, tuple[str, ...], int]] = []
        self.given_back: list[tuple[str, str]] = []

    def take(self, host: str, node: str, free: Sequence[str], count: int) -> tuple[str, ...] | None:
        self.asked.append((host, node, tuple(free), count))
        ids = tuple(g for g in free if g not in self.held.get(host, set()))[:count]
        return ids if len(ids) == count else None

    def give_back(self, host: str, node: str) -> None:
        self.given_back.append((host, node))


def test_gpus_held_by_other_runs_send_the_node_elsewhere_or_keep_it_waiting() -> None:
    leases = _Leases({"big": {"0", "1"}})
    placer = Placer([Slot("big", 4, ("0", "1", "2")), Slot("small", 4, ("0",))], leases)
    assert placer.place("a", Demand(gpus=1)) == Placement("big", ("2",))  # 0 and 1 are someone else's
    assert placer.place("b", Demand(gpus=1)) == Placement("small", ("0",))  # big asked first, refused
    assert leases.asked[-2:] == [("big", "b", ("0", "1"), 1), ("small", "b", ("0",), 1)]
    assert placer.place("c", Demand(gpus=1)) is None  # everything held: waits
    assert placer.place("d", Demand()) == Placement("big")  # CPU work never asks for a lease
    assert all(node != "d" for _h, node, _f, _n in leases.asked)
    placer.release("a")
    placer.release("d")
    assert leases.given_back == [("big", "a")]
    leases.held = {}
    assert placer.place("c", Demand(gpus=2)) == Placement("big", ("0", "1"))
