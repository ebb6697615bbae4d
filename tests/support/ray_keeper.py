"""Keeps a real Ray cluster on 127.0.0.1 while its stdin is open (run by tests.support.ray_cluster).

    python -m tests.support.ray_keeper '{"workers": [{"name": "w2", "gpus": 2, "docker_host": "unix://…"}]}'

Prints one JSON line ``{"address": …, "nodes": {name: node id}}`` once every node is up, then
reads commands, one a line: ``kill NAME`` (the worker's processes, as a machine that died),
``add NAME`` (start it again); each answered with a JSON line. EOF shuts the cluster down.
The head takes no tasks (no CPUs, no slots); each worker gets its own Docker engine by
DOCKER_HOST and the slot resource our node tasks ask for.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from typing import Any

SLOT_RESOURCE = "pipeline_designer_slot"


def main() -> int:
    # Started from a background shell, SIGINT arrives ignored; the workers would inherit that
    # and ray.cancel (a KeyboardInterrupt) would then do nothing. Reset it before any node starts.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    from ray.cluster_utils import Cluster

    spec = json.loads(sys.argv[1])
    t0 = time.monotonic()
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"node_ip_address": "127.0.0.1", "num_cpus": 0, "object_store_memory": 300 << 20},
    )
    workers: dict[str, Any] = {}
    by_name = {w["name"]: w for w in spec["workers"]}

    def add(name: str) -> Any:
        w = by_name[name]
        node = cluster.add_node(
            node_ip_address="127.0.0.1",
            num_cpus=4,  # as a real worker has several: Ray starts that many worker processes at once
            num_gpus=w["gpus"],
            resources={SLOT_RESOURCE: w.get("slots", 8)},
            object_store_memory=w.get("object_store", 300 << 20),
            env_vars={"DOCKER_HOST": w["docker_host"]},
        )
        workers[name] = node
        return node

    for name in by_name:
        add(name)
    ids = {name: node.node_id for name, node in workers.items()}
    print(json.dumps({"address": cluster.address, "nodes": ids, "up_s": time.monotonic() - t0}), flush=True)
    try:
        for line in sys.stdin:
            command, _, name = line.strip().partition(" ")
            if command == "kill" and name in workers:
                cluster.remove_node(workers.pop(name), allow_graceful=False)
                print(json.dumps({"killed": name}), flush=True)
            elif command == "add" and name in by_name and name not in workers:
                print(json.dumps({"added": name, "id": add(name).node_id}), flush=True)
            else:
                print(json.dumps({"error": f"unknown command {line.strip()!r}"}), flush=True)
    finally:
        cluster.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
