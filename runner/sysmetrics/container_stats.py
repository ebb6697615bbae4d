"""A container's Docker stats stream, read on a thread of its own into its unit's feed.

One streaming request per container (the engine sends a frame a second): nothing polls and
nothing waits on the step. The thread ends with the container (the engine's "stopped" frame,
or the stream closing when the container is removed) or when the engine goes away.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from runner.events import GpuFigures
from runner.sysmetrics.samples import SystemFeed, from_stats, stopped

GpuSource = Callable[[], tuple[tuple[GpuFigures, ...], str]]  # (figures, note) of the unit's GPUs


def follow(
    api: Any,
    container_id: str,
    feed: SystemFeed,
    gpus: GpuSource | None = None,
    done: Callable[[], None] | None = None,
) -> threading.Thread:
    """Start following the (started) container; ``done`` is called when it ends."""
    thread = threading.Thread(
        target=_read,
        args=(api, container_id, feed, gpus, done),
        name=f"stats-{container_id[:12]}",
        daemon=True,
    )
    thread.start()
    return thread


def _read(
    api: Any, container_id: str, feed: SystemFeed, gpus: GpuSource | None, done: Callable[[], None] | None
) -> None:
    try:
        frames = api.stats(container_id, stream=True, decode=True)
        with contextlib.closing(frames):
            for frame in frames:
                if stopped(frame):
                    return
                figures, note = gpus() if gpus is not None else ((), "")
                feed.add(from_stats(frame, time.time(), figures), note)
    except Exception:  # the container is gone or the engine went away: no more samples
        return
    finally:
        if done is not None:
            done()
