"""Parsing and linting without the cyclic garbage collector's passes.

Loading a 500-step file allocates ~100,000 YAML nodes, marks and values that all live on. Each
time enough of them pile up, Python's cyclic collector walks every one of them again, finds
nothing to free (they hold no reference cycles) and took a third of the load and lint time.
``paused_gc`` holds the collector off for the block; it runs as usual afterwards, so anything
cyclic made meanwhile is still collected.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    # Only the caller that turned it off turns it on again, so a nested or concurrent block
    # (another thread loading at the same time) never leaves it off.
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
