"""The ingestion path: what a running unit prints, from its handle to its log file, the store
and the run's subscribers, a batch at a time.

The backend's reader thread only buffers lines in the unit's ``Handle`` (it never waits for
anything here), so a step is never held up by what is done with its output. On the loop thread,
``UnitOutput.take`` gets whatever has arrived since the last turn (a single line at low rates,
so the latency is that of one turn; thousands when a step prints fast) and handles them as one
batch: one write to the log file (buffered, flushed once per batch so a reader of the file
sees whole lines), the metadata records in one SQLite transaction, then the events, each
record's after it is stored. A subscriber that cannot keep up (the designer drawing) falls
behind on its queue of events; the store never does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from runner.events import Event, log_line, metadata_record
from runner.metadata import iso_time, parse_metadata_line

LOG_BUFFER = 1 << 16  # bytes; the file is flushed at the end of every batch anyway

Lines = list[tuple[str, str, float]]  # (stream, text, unix time), as Handle.drain gives them
Row = tuple[int, float, dict[str, Any], str]  # seq, time, record, its JSON text (RunStore)


class MetadataSink(Protocol):
    def add_metadata_batch(self, execution_id: str, rows: list[Row]) -> None: ...


class UnitOutput:
    """One running unit's output on its way: its log file, the sequence numbers of its records
    and every record it printed so far (what its result hands on when it ends)."""

    def __init__(
        self,
        log_path: Path,
        execution_id: str,
        where: tuple[str, str, int | None],  # run id, node, child (a task's execution)
        store: MetadataSink,
        publish: Callable[[list[Event]], None],  # events in order (RunState.publish)
    ) -> None:
        self._log = open(log_path, "a", encoding="utf-8", buffering=LOG_BUFFER)  # noqa: SIM115 (close())
        self._execution_id = execution_id
        self._run_id, self._node, self._child = where
        self._store = store
        self._publish = publish
        self.records: list[dict[str, Any]] = []

    def take(self, lines: Lines, line_hook: Callable[[str, str], None] | None = None) -> list[dict[str, Any]]:
        """Log, store and publish ``lines``; the metadata records among them (``_time`` added).

        A step printing fast hands thousands of lines a turn, each paid for here on the loop
        thread (which the step's output then waits behind): one pass, and a line that cannot be
        a record (no brace) is not parsed."""
        if not lines:
            return []
        run_id, node, child = self._run_id, self._node, self._child
        stamps: dict[float, str] = {}  # the lines of one read share their time: formatted once
        text_out: list[str] = []
        events: list[Event] = []
        rows: list[Row] = []
        seq = len(self.records)
        parse, add_log, add_event, add_row = parse_metadata_line, text_out.append, events.append, rows.append
        for stream, text, when in lines:
            stamp = stamps.get(when)
            if stamp is None:
                stamp = stamps[when] = iso_time(when)
            add_log(f"{stamp} {stream} {text}\n")
            if line_hook is not None:
                line_hook(stream, text)
            add_event(log_line(run_id, node, stream, text, when, child))
            if stream != "stdout" or "{" not in text:
                continue
            record = parse(text)
            if record is not None:
                add_row((seq, when, record, _with_time(text, record, stamp)))
                seq += 1
                add_event(metadata_record(run_id, node, record, when, child))
        self._log.write("".join(text_out))
        self._log.flush()
        batch = [row[2] for row in rows]
        if rows:
            self._store.add_metadata_batch(self._execution_id, rows)
            self.records.extend(batch)
        self._publish(events)
        return batch

    def close(self) -> None:
        self._log.close()


def _with_time(text: str, record: dict[str, Any], stamp: str) -> str:
    """Add the implicit ``_time`` to ``record`` unless the step printed its own, and give the
    JSON text to store: the line as printed with ``_time`` appended, which reads back as the
    record does (it parsed as one object) without encoding it again."""
    body = text.strip()
    if "_time" in record:
        return body
    record["_time"] = stamp
    if len(record) == 1:  # it was {}
        return f'{{"_time": "{stamp}"}}'
    return f'{body[:-1]}, "_time": "{stamp}"}}'
