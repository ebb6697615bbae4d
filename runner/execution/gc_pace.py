"""The garbage collector's pace for a process that runs steps: young collections rarer than
CPython's default, so a step printing fast is not paid for in full collections.

CPython collects its youngest objects every 700 allocations and runs a full pass over every
object of the process once those promoted since the last one exceed a quarter of those kept.
A fast step's lines are thousands of events a batch (runner.execution.ingest), alive until the
run's reader takes them: at the default pace nearly all of them are promoted, and 100,000 lines
caused fifteen full passes, 40% of the loop thread's time (the step's output waits behind that
thread). Collecting the young every 50,000 allocations instead lets a batch's events be read and
freed first; cycles are still collected, only later (a few megabytes of them at most).
"""

from __future__ import annotations

import gc

YOUNG = 50_000  # allocations between young collections
MIDDLE = 20  # young collections between middle ones


def pace_for_streaming() -> None:
    """Set the pace (once for the process; a higher threshold already chosen is kept)."""
    young, middle, old = gc.get_threshold()
    if young and young < YOUNG:  # 0: the collector is off, and stays off
        gc.set_threshold(YOUNG, max(middle, MIDDLE), old)
