"""Docker stats frames as system samples: frames captured from this machine's engine (cgroup v1)
and a cgroup v2 frame's memory figures."""

from __future__ import annotations

import json

from runner.events import SystemSample
from runner.sysmetrics.samples import SystemFeed, from_stats, memory_bytes, stopped
from tests.support.nvidia_smi import CAPTURES

FRAMES = json.loads((CAPTURES / "docker-stats-cgroup-v1.json").read_text())
LIMIT = 256 << 20  # the container ran with mem_limit=256m


def test_captured_frames_give_cpu_as_docker_stats_computes_it_and_resident_memory() -> None:
    first, second, third, end = FRAMES
    assert from_stats(first, 10.0) == SystemSample(10.0, None, 61440, LIMIT)  # nothing to compare with yet
    # (456465791 - 39450022) ns of the container / (1337090000000 - 1335080000000) ns of the host x 2 CPUs
    assert from_stats(second, 11.0) == SystemSample(11.0, 41.49, 114688, LIMIT)
    assert from_stats(third, 12.0).cpu_percent == 49.43
    assert [stopped(f) for f in FRAMES] == [False, False, False, True]  # the engine's frame once it exited
    assert end["memory_stats"] == {} and from_stats(end, 13.0) is None  # nothing to keep


def test_cgroup_v2_memory_is_anonymous_memory_else_usage_without_the_page_cache() -> None:
    v2 = {
        "memory_stats": {
            "usage": 9_000_000,
            "limit": LIMIT,
            "stats": {"anon": 5_242_880, "inactive_file": 1_000},
        }
    }
    assert memory_bytes(v2) == 5_242_880
    assert (
        memory_bytes({"memory_stats": {"usage": 9_000_000, "stats": {"inactive_file": 1_000_000}}})
        == 8_000_000
    )
    assert memory_bytes({"memory_stats": {}}) is None


def test_the_feed_hands_over_what_arrived_since_it_was_last_asked() -> None:
    feed = SystemFeed()
    feed.add(from_stats(FRAMES[0], 1.0))
    feed.add(from_stats(FRAMES[1], 2.0), "nvidia-smi is not installed on this machine")
    samples, note = feed.take()
    assert [s.time for s in samples] == [1.0, 2.0] and note.startswith("nvidia-smi is not installed")
    assert feed.take() == ([], note)
