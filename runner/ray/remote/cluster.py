"""What the cluster offers, and small jobs on every worker node (image checks, leftovers).

A *worker* is an alive node that offers our slot resource (``protocol.SLOT_RESOURCE``: it has
Docker and takes our nodes); when no node offers it, every alive node with CPUs is one and a
node task takes a CPU instead (docs/scale-out.md).
"""

from __future__ import annotations

from typing import Any, Dict, List

from . import dockerapi
from .protocol import SLOT_RESOURCE


def nodes() -> List[Dict[str, Any]]:
    """Every node Ray knows: id, address, alive, total and free CPUs/GPUs/slots."""
    import ray

    try:
        from ray._private.state import available_resources_per_node

        free = available_resources_per_node()
    except Exception:  # a Ray without it: free figures unknown
        free = {}
    out = []
    for node in ray.nodes():
        total = node.get("Resources") or {}
        avail = free.get(node["NodeID"], {})
        out.append(
            {
                "id": node["NodeID"],
                "address": node.get("NodeManagerAddress", ""),
                "hostname": node.get("NodeManagerHostname", ""),
                "alive": bool(node.get("Alive")),
                "head": "node:__internal_head__" in total,
                "cpus": total.get("CPU", 0.0),
                "gpus": total.get("GPU", 0.0),
                "slots": total.get(SLOT_RESOURCE, 0.0),
                "free_cpus": avail.get("CPU", 0.0) if avail else None,
                "free_gpus": avail.get("GPU", 0.0) if avail else None,
                "free_slots": avail.get(SLOT_RESOURCE, 0.0) if avail else None,
                "death": node.get("DeathReasonMessage", "") if not node.get("Alive") else "",
            }
        )
    return out


def uses_slots(listing: List[Dict[str, Any]]) -> bool:
    return any(n["alive"] and n["slots"] for n in listing)


def workers(listing: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    key = "slots" if uses_slots(listing) else "cpus"
    return [n for n in listing if n["alive"] and n[key]]


def infeasible(gpus: float, listing: List[Dict[str, Any]]) -> str:
    """Why no worker could ever run a node asking for ``gpus`` ("" when one can)."""
    able = workers(listing)
    if not able:
        return "the cluster has no worker node (a node offering the {} resource, or CPUs)".format(
            SLOT_RESOURCE
        )
    most = max(n["gpus"] for n in able)
    if gpus > most:
        text = "needs {:g} GPU(s) but the largest worker node of the cluster has {:g} ({} worker node(s))"
        return text.format(gpus, most, len(able))
    return ""


def on_each_worker(fn: Any, *args: Any) -> Dict[str, Any]:
    """``fn(*args)`` once on every worker node (pinned to it, taking no resources): node id ->
    its result, or ``{"error": text}`` for a node where it failed."""
    import ray

    refs = {n["id"]: _pinned(fn, n["id"], *args) for n in workers(nodes())}
    out: Dict[str, Any] = {}
    for node_id, ref in refs.items():
        try:
            out[node_id] = ray.get(ref, timeout=120)
        except Exception as exc:
            out[node_id] = {"error": str(exc).strip().splitlines()[-1][:300]}
    return out


def on_node(node_id: str, fn: Any, *args: Any) -> Any:
    """``fn(*args)`` on one node (``{"error": text}`` where it failed)."""
    import ray

    try:
        return ray.get(_pinned(fn, node_id, *args), timeout=60)
    except Exception as exc:
        return {"error": str(exc).strip().splitlines()[-1][:300]}


def _pinned(fn: Any, node_id: str, *args: Any) -> Any:
    """``fn(*args)`` as a task pinned to the node, taking no resources: its ObjectRef."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    remote = ray.remote(num_cpus=0, max_retries=0)(fn)
    strategy = NodeAffinitySchedulingStrategy(node_id, soft=False)
    return remote.options(scheduling_strategy=strategy).remote(*args)


def kill_container(name: str) -> None:
    dockerapi.signal(name, "KILL")


def has_image(image: str, wanted: str) -> bool:
    return dockerapi.image_id(image) == wanted


def engine_facts() -> Dict[str, Any]:
    import socket

    try:
        return {"docker": dockerapi.engine_version(), "host": socket.gethostname()}
    except dockerapi.DockerError as exc:
        return {"error": str(exc), "host": socket.gethostname()}


def remove_ours(filters: List[List[str]], keep_runs: List[str], run_label: str) -> List[str]:
    """Remove containers matching any ``[label, value]`` of ``filters`` unless their run is in
    ``keep_runs``; their names."""
    removed = []
    keep = set(keep_runs)
    for label, value in filters:
        for found in dockerapi.labelled(label, value):
            if found.get(run_label) in keep or found["name"] in removed:
                continue
            dockerapi.remove(found["name"])
            removed.append(found["name"])
    return removed
