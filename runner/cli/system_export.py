"""``metrics RUN/NODE --system``: an execution's system samples (runner.sysmetrics), one
record per sample.

- ``--json``: ``{"format": 1, "execution_id", "gpu_note", "samples": [{"time", "cpu_percent",
  "memory_bytes", "memory_limit_bytes", "gpus": [{"index", "gpu_util_percent",
  "gpu_memory_bytes", "gpu_memory_total_bytes"}]}]}``; ``gpu_note`` says why there are no GPU
  figures ("" when there is nothing to say); a figure the engine or the driver did not give is null.
- CSV (the default): ``time,cpu_percent,memory_bytes,memory_limit_bytes`` and, for each GPU
  that appears, ``gpu_util_percent[I],gpu_memory_bytes[I],gpu_memory_total_bytes[I]`` (``I``
  its index on the host); the GPU note goes to standard error.

``time`` is UTC ISO-8601 (the format of the metadata's ``_time``); CPU is percent of one core.
A reused execution's samples are those of the execution it reused.
"""

from __future__ import annotations

import csv
import json
import sys
from typing import IO, Any

from runner.events import SystemSample
from runner.metadata import iso_time

FORMAT = 1
BASE = ("time", "cpu_percent", "memory_bytes", "memory_limit_bytes")
PER_GPU = ("gpu_util_percent", "gpu_memory_bytes", "gpu_memory_total_bytes")


def export_system(store: Any, row: dict[str, Any], out: IO[str], as_json: bool) -> int:
    source = row
    if row.get("reused_from"):
        source = store.execution_by_id(row["reused_from"]) or row
    samples = store.system_samples(source["id"])
    note = store.gpu_note(source["id"])
    if as_json:
        data = {
            "format": FORMAT,
            "execution_id": source["id"],
            "gpu_note": note,
            "samples": [sample_json(s) for s in samples],
        }
        json.dump(data, out, indent=2)
        out.write("\n")
        return 0
    indices = sorted({g.index for s in samples for g in s.gpus}, key=lambda i: (len(i), i))
    writer = csv.writer(out)
    writer.writerow([*BASE, *(f"{name}[{i}]" for i in indices for name in PER_GPU)])
    for s in samples:
        gpus = {g.index: g for g in s.gpus}
        cells: list[Any] = [iso_time(s.time), s.cpu_percent, s.memory_bytes, s.memory_limit_bytes]
        for i in indices:
            g = gpus.get(i)
            cells += [g.util_percent, g.memory_bytes, g.memory_total_bytes] if g else [None] * len(PER_GPU)
        writer.writerow(["" if c is None else c for c in cells])
    if note:
        print(f"no GPU figures: {note}", file=sys.stderr)
    return 0


def sample_json(s: SystemSample) -> dict[str, Any]:
    return {
        "time": iso_time(s.time),
        "cpu_percent": s.cpu_percent,
        "memory_bytes": s.memory_bytes,
        "memory_limit_bytes": s.memory_limit_bytes,
        "gpus": [
            {
                "index": g.index,
                "gpu_util_percent": g.util_percent,
                "gpu_memory_bytes": g.memory_bytes,
                "gpu_memory_total_bytes": g.memory_total_bytes,
            }
            for g in s.gpus
        ],
    }
