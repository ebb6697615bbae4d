"""The ingestion path's parts without an engine: the attach protocol's frames, a handle's lines,
a batch into the log file, the store and the events (runner.execution.ingest)."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

from runner.events import LogLine, MetadataRecord, log_line, metadata_record
from runner.execution.attach_stream import Demux
from runner.execution.backend import MAX_LINE, Handle, poll_handle
from runner.execution.event_queue import EventQueue
from runner.execution.ingest import UnitOutput
from runner.store.db import RunStore


def frame(stream: int, data: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(data)) + data


def test_frames_cut_anywhere_come_out_whole_in_order() -> None:
    wire = frame(1, b"a\nb") + frame(1, b"c\n") + frame(2, b"oops\n") + frame(1, b"d\n") + frame(1, b"")
    for cut in range(len(wire) + 1):
        demux = Demux()
        got: list[tuple[str, bytes]] = []
        for stream, data in demux.feed(wire[:cut]) + demux.feed(memoryview(wire[cut:])):
            if got and got[-1][0] == stream:  # a run cut between two reads: fed in two parts
                data = got.pop()[1] + data
            got.append((stream, data))
        assert got == [("stdout", b"a\nbc\n"), ("stderr", b"oops\n"), ("stdout", b"d\n")], cut
        assert demux.pending == 0


def _handle() -> Handle:
    return Handle(None)  # type: ignore[arg-type]  # lines only: no spec needed


def test_handle_lines_across_chunks() -> None:
    handle = _handle()
    text = "héllo\r\nwörld\nno end".encode()
    for i in range(len(text)):  # a multi-byte character cut between two reads stays whole
        handle.feed("stdout", text[i : i + 1])
    handle.feed("stderr", b"x" * (MAX_LINE + 1))  # a line that never ends is cut
    assert [t for _s, t, _w in handle.drain()] == ["héllo", "wörld", "x" * (MAX_LINE + 1)]
    handle.finish(0)
    assert [t for _s, t, _w in handle.drain()] == ["no end"]


def test_a_backlog_is_taken_in_turns_and_finished_only_when_empty() -> None:
    handle = _handle()
    handle.feed("stdout", b"".join(b"%d\n" % i for i in range(25)))
    handle.finish(0)
    first, second = poll_handle(handle, limit=20), poll_handle(handle, limit=20)
    assert (len(first.lines), first.finished) == (20, False)
    assert (len(second.lines), second.finished, second.exit_code) == (5, True, 0)


def test_fast_events_equal_the_constructed_ones() -> None:
    assert log_line("r", "n", "stdout", "x", 1.5, 2) == LogLine("r", "n", "stdout", "x", 1.5, 2)
    assert hash(log_line("r", "n", "stdout", "x", 1.5, None)) == hash(LogLine("r", "n", "stdout", "x", 1.5))
    assert metadata_record("r", "n", {"a": 1}, 2.0, None) == MetadataRecord("r", "n", {"a": 1}, 2.0)
    assert repr(log_line("r", "n", "stdout", "x", 1.5, None)) == repr(LogLine("r", "n", "stdout", "x", 1.5))


def test_event_queue_batches() -> None:
    queue: EventQueue[int] = EventQueue()
    assert queue.get_all(timeout=0.01) == []
    queue.put(1)
    queue.put_many([2, 3])
    assert queue.get() == 1
    assert queue.get_all() == [2, 3]


def test_a_batch_goes_to_the_log_the_store_and_out(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite3")
    store.create_run("r", started=1.0)
    store.upsert_execution("r-n", run_id="r", node="n", status="running")
    published: list[object] = []
    output = UnitOutput(tmp_path / "n.log", "r-n", ("r", "n", None), store, published.extend)
    lines = [
        ("stdout", "epoch 1", 0.0),
        ("stdout", ' {"loss": NaN, "n": 123456789012345678901234567890} ', 0.0),
        ("stderr", '{"not": "metadata"}', 0.0),
        ("stdout", "{}", 1.0),
        ("stdout", '{"_time": "mine", "x": 1}', 1.0),
    ]
    records = output.take(lines)
    output.take([])
    output.close()
    kinds = ["LogLine", "LogLine", "MetadataRecord", "LogLine", "LogLine", "MetadataRecord"]
    assert [type(e).__name__ for e in published] == [*kinds, "LogLine", "MetadataRecord"]
    stored = store.metadata("r-n")
    assert len(records) == len(stored) == 3 and output.records == records
    assert math.isnan(stored[0]["loss"]) and stored[0]["n"] == 123456789012345678901234567890
    assert stored[0]["_time"] == records[0]["_time"] == "1970-01-01T00:00:00Z"
    assert stored[1] == records[1] == {"_time": "1970-01-01T00:00:01Z"}
    assert stored[2] == records[2] == {"_time": "mine", "x": 1}
    log = (tmp_path / "n.log").read_text().splitlines()
    assert log[0] == "1970-01-01T00:00:00Z stdout epoch 1" and log[2].endswith('stderr {"not": "metadata"}')
    assert json.loads(log[4].split(" stdout ", 1)[1]) == {"_time": "mine", "x": 1}
