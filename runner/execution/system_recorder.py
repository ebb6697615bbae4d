"""A running unit's system samples (runner.sysmetrics) into the store and out as events.

Called by the unit runner on the loop thread each time it pumps the unit: what the backend's
sampler gathered since goes into the store in one transaction, apart from the user's metadata,
and out as one ``SystemSampled`` event; a changed GPU note (why there are no GPU figures) is
stored with them.
"""

from __future__ import annotations

import time

from runner.events import SystemSampled
from runner.execution.run_state import Running, RunState


def record_system(state: RunState, unit: str, running: Running) -> None:
    samples, note = running.handle.system.take()
    changed = note != running.gpu_note
    if not samples and not changed:
        return
    state.store.add_system_samples(
        running.spec.execution_id, running.system_seq, samples, note if changed else None
    )
    running.system_seq += len(samples)
    running.gpu_note = note
    node, child = state.split(unit)
    state.emit(SystemSampled(state.run_id, node, tuple(samples), note, time.time(), child))
