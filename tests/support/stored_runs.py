"""A finished run written into a real store (a train execution with metrics and outputs), for the
docks that read history: Outputs, Runs."""

from __future__ import annotations

import time
from pathlib import Path

from runner.api import open_store


def store_run(home: Path, run_id: str, lr: float, files: dict[str, bytes]) -> None:
    """Run ``run_id`` of /x/valohai.yaml: node train with parameter ``lr``, 3 loss records, ``files``."""
    _home, store, artifacts = open_store(home)
    t = time.time()
    store.create_run(run_id, pipeline="p", yaml_path="/x/valohai.yaml", started=t - 5, status="running")
    store.upsert_execution(
        f"{run_id}-train",
        run_id=run_id,
        node="train",
        step="train",
        status="succeeded",
        parameters={"lr": lr, "epochs": 3},
        started=t - 4,
        ended=t,
    )
    for i in range(3):
        store.add_metadata(
            f"{run_id}-train", i, t, {"epoch": i, "loss": lr / (i + 1), "_time": "2026-01-01T00:00:00Z"}
        )
    outs = []
    for name, data in files.items():
        src = home / "tmp-src"
        src.write_bytes(data)
        sha, size = artifacts.put_file(src)
        outs.append({"path": name, "sha256": sha, "size": size})
    store.add_outputs(f"{run_id}-train", outs)
    store.finish_run(run_id, "succeeded", t)
    store.close()
