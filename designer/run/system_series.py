"""One node's system samples (CPU, memory, GPUs) in growable numpy columns, for the Metrics
dock's System group (no Qt). Samples come live (``SystemSampled`` events) or from the store."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from designer.run.series import GrowBuffer
from runner.events import SystemSample

CPU, MEMORY, GPU_UTIL, GPU_MEMORY = "cpu", "memory", "gpu_util", "gpu_memory"
QUANTITIES = (CPU, MEMORY, GPU_UTIL, GPU_MEMORY)


def _value(v: float | int | None) -> float:
    return math.nan if v is None else float(v)


@dataclass
class SystemSeries:
    time: GrowBuffer = field(default_factory=GrowBuffer)
    columns: dict[str, GrowBuffer] = field(default_factory=dict)  # "cpu", "memory", "gpu_util:0", ...
    limit: float = math.nan  # the container's memory limit, as last sampled
    gpu_note: str = ""  # why there are no GPU figures ("" when there is nothing to say)
    version: int = 0  # bumped on every change, so the plots redraw only what changed

    def add(self, samples: Iterable[SystemSample], gpu_note: str | None = None) -> None:
        for s in samples:
            n = len(self.time)
            self.time.append(s.time)
            values = {CPU: _value(s.cpu_percent), MEMORY: _value(s.memory_bytes)}
            for g in s.gpus:
                values[f"{GPU_UTIL}:{g.index}"] = _value(g.util_percent)
                values[f"{GPU_MEMORY}:{g.index}"] = _value(g.memory_bytes)
            for key, value in values.items():
                column = self.columns.setdefault(key, GrowBuffer())
                column.pad_to(n)
                column.append(value)
            if s.memory_limit_bytes:
                self.limit = float(s.memory_limit_bytes)
        for column in self.columns.values():
            column.pad_to(len(self.time))
        if gpu_note is not None:
            self.gpu_note = gpu_note
        self.version += 1

    def __len__(self) -> int:
        return len(self.time)

    @property
    def gpus(self) -> list[str]:
        """The indices of the GPUs with figures, in order."""
        found = {k.split(":", 1)[1] for k in self.columns if k.startswith(f"{GPU_UTIL}:")}
        return sorted(found, key=lambda i: (len(i), i))

    def curves(self, quantity: str, origin: float | None) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """(GPU index or "", x, y) of ``quantity``: x in seconds from ``origin`` (the first sample
        when None), finite points only."""
        t = self.time.view()
        if not len(t):
            return []
        x = t - (t[0] if origin is None else origin)
        keys = (
            [(g, f"{quantity}:{g}") for g in self.gpus]
            if quantity in (GPU_UTIL, GPU_MEMORY)
            else [("", quantity)]
        )
        out = []
        for label, key in keys:
            y = self.columns[key].view() if key in self.columns else np.empty(0)
            ok = np.isfinite(y)
            out.append((label, x[: len(y)][ok], y[ok]))
        return out
