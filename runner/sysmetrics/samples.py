"""Docker stats frames as ``SystemSample``s, and the per-unit feed a backend's sampler fills.

A stats frame (``GET /containers/{id}/stats``, one a second) carries the container's CPU time
and the host's, each with the previous frame's (``precpu_stats``), and its cgroup's memory
figures. CPU percent is what ``docker stats`` shows: the container's share of the host's CPU
time over the interval times the online CPUs (100 = one core busy). Memory is resident memory
(cgroup v1 ``rss``, v2 ``anon``; else usage without the page cache) and the cgroup's limit (the
host's memory when none was set).
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from runner.events import GpuFigures, SystemSample

KEPT = 3600  # samples held per unit until the runner takes them (an hour at one a second)


def stopped(frame: dict[str, Any]) -> bool:
    """The frame the engine sends, every second, once the container is no longer running."""
    return str(frame.get("read", "")).startswith("0001-")


def from_stats(frame: dict[str, Any], when: float, gpus: tuple[GpuFigures, ...] = ()) -> SystemSample | None:
    """None for a frame without memory figures: the container was starting or stopping as the
    engine read it (its cgroup not there yet, or gone)."""
    memory = memory_bytes(frame)
    if memory is None:
        return None
    limit = (frame.get("memory_stats") or {}).get("limit")
    return SystemSample(when, cpu_percent(frame), memory, _int(limit), gpus)


def cpu_percent(frame: dict[str, Any]) -> float | None:
    """None for the first frame (no previous one to compare with) and for frames without figures."""
    now, before = frame.get("cpu_stats") or {}, frame.get("precpu_stats") or {}
    used = (now.get("cpu_usage") or {}).get("total_usage")
    used_before = (before.get("cpu_usage") or {}).get("total_usage")
    host, host_before = now.get("system_cpu_usage"), before.get("system_cpu_usage")
    if used is None or used_before is None or not host or not host_before:
        return None
    elapsed = host - host_before
    if elapsed <= 0 or used < used_before:
        return None
    cpus = now.get("online_cpus") or len((now.get("cpu_usage") or {}).get("percpu_usage") or ()) or 1
    return round((used - used_before) / elapsed * cpus * 100.0, 2)


def memory_bytes(frame: dict[str, Any]) -> int | None:
    memory = frame.get("memory_stats") or {}
    stats = memory.get("stats") or {}
    for key in ("total_rss", "rss", "anon"):  # cgroup v1 (with its children, then alone), v2
        if stats.get(key) is not None:
            return _int(stats[key])
    usage = memory.get("usage")
    if usage is None:
        return None
    cache = stats.get("total_inactive_file", stats.get("inactive_file", stats.get("cache", 0)))
    return max(int(usage) - int(cache or 0), 0)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


class SystemFeed:
    """One unit's samples from its backend's threads to the unit runner (thread-safe), and why
    it has no GPU figures ("" when it has them or needs none)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._samples: deque[SystemSample] = deque(maxlen=KEPT)
        self._gpu_note = ""

    def add(self, sample: SystemSample | None, gpu_note: str = "") -> None:
        """A sample (None: a frame without figures, only the note counts)."""
        with self._lock:
            if sample is not None:
                self._samples.append(sample)
            self._gpu_note = gpu_note

    def note(self, gpu_note: str) -> None:
        with self._lock:
            self._gpu_note = gpu_note

    def take(self) -> tuple[list[SystemSample], str]:
        """The samples since the last call, and the current GPU note."""
        with self._lock:
            samples = list(self._samples)
            self._samples.clear()
            return samples, self._gpu_note
