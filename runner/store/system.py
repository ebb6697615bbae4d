"""System samples of executions (runner.sysmetrics): a table of their own, never mixed with
the user's metadata records, written a batch per transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence

from runner.events import GpuFigures, SystemSample
from runner.store.connection import StoreConnection


class SystemRecords(StoreConnection):
    def add_system_samples(
        self, execution_id: str, first_seq: int, samples: Sequence[SystemSample], gpu_note: str | None = None
    ) -> None:
        """Samples ``first_seq``, ``first_seq + 1``, ...; ``gpu_note`` (when not None) replaces
        the execution's note on why it has no GPU figures."""
        rows = [
            (
                execution_id,
                first_seq + i,
                s.time,
                s.cpu_percent,
                s.memory_bytes,
                s.memory_limit_bytes,
                _gpus(s),
            )
            for i, s in enumerate(samples)
        ]
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO system_samples (execution_id, seq, time, cpu_percent, memory_bytes, "
                "memory_limit_bytes, gpus) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            if gpu_note is not None:
                db.execute("UPDATE executions SET gpu_note=? WHERE id=?", (gpu_note or None, execution_id))

    def system_samples(self, execution_id: str) -> list[SystemSample]:
        with self._guard():
            rows = self._db.execute(
                "SELECT time, cpu_percent, memory_bytes, memory_limit_bytes, gpus FROM system_samples "
                "WHERE execution_id=? ORDER BY seq",
                (execution_id,),
            ).fetchall()
        return [
            SystemSample(t, cpu, mem, limit, tuple(GpuFigures(*g) for g in json.loads(gpus or "[]")))
            for t, cpu, mem, limit, gpus in rows
        ]

    def gpu_note(self, execution_id: str) -> str:
        """Why the execution has no GPU figures ("" when it has them or needs none)."""
        rows = self._query("SELECT gpu_note FROM executions WHERE id=?", (execution_id,))
        return str(rows[0]["gpu_note"] or "") if rows else ""


def _gpus(sample: SystemSample) -> str | None:
    if not sample.gpus:
        return None
    return json.dumps([[g.index, g.util_percent, g.memory_bytes, g.memory_total_bytes] for g in sample.gpus])
