"""The per-key numeric index of metadata records: a plot reads a key's series as packed
float64 blocks instead of decoding every record's JSON (10 M records in well under a second).

Every numeric value of a record (int or float, not bool; NaN and infinities kept) is a point
``(seq, value)`` of its key, and every record a point of the pseudo-key ``_time`` (its ``_time``
as epoch seconds, NaN when it has none). Points are written in ``metric_blocks`` rows, BLOCK
records at a time: a key's values in a block as little-endian float64, its seqs as little-endian
int64 unless they run one by one from ``first_seq`` (then NULL: a key printed in every record
costs 8 bytes a point).

The records after the last indexed one (fewer than BLOCK while a run writes; none once its
execution has ended) are the index's pending part: a reader decodes those from their JSON, so
what it reads is always every record, whoever wrote them. The JSON records stay the truth
(``metrics --json/--csv`` read them); the index is derived: left out of run archives, rebuilt
from the records on import and, by migration 6, for stores written before it.
"""

from __future__ import annotations

import json
import math
import sqlite3
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from runner.metadata import numeric, record_time

BLOCK = 4096  # records a block covers
TIME_KEY = "_time"
TABLES = ("metric_blocks",)

SCHEMA = """
CREATE TABLE IF NOT EXISTS metric_blocks (
    execution_id TEXT NOT NULL REFERENCES executions(id), key TEXT NOT NULL,
    first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, count INTEGER NOT NULL,
    seqs BLOB, vals BLOB NOT NULL, PRIMARY KEY (execution_id, key, first_seq)
)
"""

_EXACT = 2**53  # ints below this convert to float without a range check
_SWAP = sys.byteorder != "little"  # blobs are little-endian whatever the machine
Points = dict[str, tuple[list[int], list[float]]]
Rows = Sequence[tuple[int, dict[str, Any]]]


@dataclass
class KeyPoints:
    """One key's points: ``values`` packed float64 (little-endian); ``seqs`` packed int64, or
    None when the key has one point per record (the records' own seqs)."""

    values: bytes
    seqs: bytes | None = None


@dataclass
class StoredMetrics:
    """An execution's numeric series: ``records`` records whose seqs are ``record_seqs`` (packed
    int64) or, when None, 0 … records-1; ``keys[TIME_KEY]`` holds their times."""

    records: int
    record_seqs: bytes | None = None
    keys: dict[str, KeyPoints] = field(default_factory=dict)


def pack(kind: str, values: Iterable[float]) -> bytes:
    """``kind`` "d" (float64) or "q" (int64), little-endian."""
    arr = array(kind, values)
    if _SWAP:
        arr.byteswap()
    return arr.tobytes()


def unpack(kind: str, data: bytes) -> array:
    arr = array(kind)
    arr.frombytes(data)
    if _SWAP:
        arr.byteswap()
    return arr


def points_of(rows: Iterable[tuple[int, dict[str, Any]]]) -> Points:
    """(seq, record) rows -> key -> (seqs, values), ``_time`` included for every record."""
    times: tuple[list[int], list[float]] = ([], [])
    out = {TIME_KEY: times}
    stamp: Any = object()  # the lines of one read share one _time text: converted once
    when = math.nan
    for seq, record in rows:
        times[0].append(seq)
        if record.get(TIME_KEY) is not stamp:
            stamp = record.get(TIME_KEY)
            when = record_time(stamp)
        times[1].append(when)
        for key, value in record.items():
            kind = type(value)  # the common cases first, without a call
            if kind is float:
                num = value
            elif kind is int and -_EXACT < value < _EXACT:
                num = float(value)
            elif kind is bool or kind is str or (num := numeric(value)) is None:
                continue
            if key == TIME_KEY:
                continue
            pts = out.get(key)
            if pts is None:
                pts = out[key] = ([], [])
            pts[0].append(seq)
            pts[1].append(num)
    return out


def _decoded(rows: Iterable[tuple[int, str]]) -> list[tuple[int, dict[str, Any]]]:
    return [(seq, json.loads(text)) for seq, text in rows]


class IndexWriter:
    """Indexes records as they are written: a write costs nothing more until BLOCK records are
    pending, then whole blocks of them are written (the pending ones decoded again from their JSON, the new
    ones taken as given). Remembers each execution's last indexed seq and pending count (wrong
    only after a rollback or another writer: then a block is merely shorter or longer)."""

    def __init__(self) -> None:
        self._state: dict[str, tuple[int, int]] = {}  # execution -> (last indexed seq, pending)
        # execution -> its pending records as written through here, while they are all of them:
        # a block is then made of them instead of decoding their JSON again.
        self._held: dict[str, list[tuple[int, dict[str, Any]]]] = {}

    def _load(self, db: sqlite3.Connection, execution_id: str) -> tuple[int, int]:
        state = self._state.get(execution_id)
        if state is None:
            last = indexed_upto(db, execution_id)
            pending = db.execute(
                "SELECT COUNT(*) FROM metadata WHERE execution_id=? AND seq > ?", (execution_id, last)
            ).fetchone()[0]
            state = (last, pending)
        return state

    def written(self, db: sqlite3.Connection, execution_id: str, rows: Rows) -> None:
        """``rows`` (seq, record) were just inserted, in seq order, in this transaction."""
        last, pending = self._load(db, execution_id)
        if rows and rows[0][0] <= last:  # written below the index (never by the runner)
            rebuild(db, self, execution_id)
            return
        held = self._held.get(execution_id, [] if pending == 0 else None)
        if held is not None and len(held) == pending:
            held.extend(rows)
            self._held[execution_id] = held
        else:
            self._held.pop(execution_id, None)
        self._state[execution_id] = (last, pending + len(rows))
        if pending + len(rows) >= BLOCK:
            self.seal(db, execution_id, rows, whole=False)

    def seal(self, db: sqlite3.Connection, execution_id: str, rows: Rows = (), whole: bool = True) -> None:
        """Index the pending records (``rows``: the newest of them, already decoded); all of them,
        or with ``whole`` False only whole blocks (the rest stays pending)."""
        last, pending = self._load(db, execution_id)
        held = self._held.get(execution_id)
        if held is not None and len(held) == pending:
            todo = held
        else:
            before: list[tuple[int, dict[str, Any]]] = []
            if pending > len(rows):
                sql = "SELECT seq, record FROM metadata WHERE execution_id=? AND seq > ?"
                args: tuple[Any, ...] = (execution_id, last)
                if rows:
                    sql, args = sql + " AND seq < ?", (*args, rows[0][0])
                before = _decoded(db.execute(sql + " ORDER BY seq", args).fetchall())
            todo = [*before, *rows]
        n = len(todo) if whole else len(todo) - len(todo) % BLOCK
        for start in range(0, n, BLOCK):
            write_points(db, execution_id, points_of(todo[start : min(start + BLOCK, n)]))
        self._state[execution_id] = (todo[n - 1][0] if n else last, len(todo) - n)
        self._held[execution_id] = todo[n:]

    def forget(self, execution_id: str) -> None:
        self._state.pop(execution_id, None)
        self._held.pop(execution_id, None)


def indexed_upto(db: sqlite3.Connection, execution_id: str) -> int:
    """The seq of the last indexed record (-1: none)."""
    row = db.execute(
        "SELECT last_seq FROM metric_blocks WHERE execution_id=? AND key=? ORDER BY first_seq DESC LIMIT 1",
        (execution_id, TIME_KEY),
    ).fetchone()
    return -1 if row is None else int(row[0])


def write_points(db: sqlite3.Connection, execution_id: str, points: Points) -> None:
    """One block per key of these points (of at most BLOCK records)."""
    for key, (seqs, values) in points.items():
        if seqs:
            write_block(db, execution_id, key, seqs, pack("d", values))


def write_block(
    db: sqlite3.Connection, execution_id: str, key: str, seqs: Sequence[int], vals: bytes
) -> None:
    """One block of ``len(seqs)`` points (``vals`` already packed)."""
    first, last = seqs[0], seqs[-1]
    contiguous = isinstance(seqs, range) or last - first == len(seqs) - 1
    db.execute(
        "INSERT OR REPLACE INTO metric_blocks (execution_id, key, first_seq, last_seq, count, seqs, vals) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (execution_id, key, first, last, len(seqs), None if contiguous else pack("q", seqs), vals),
    )


def write_dense(db: sqlite3.Connection, execution_id: str, key: str, first_seq: int, vals: bytes) -> None:
    """Points of a key present in every record from ``first_seq`` on (``vals`` packed float64),
    straight into blocks: what a bulk import of columns writes."""
    count = len(vals) // 8
    for start in range(0, count, BLOCK):
        n = min(BLOCK, count - start)
        seqs = range(first_seq + start, first_seq + start + n)
        write_block(db, execution_id, key, seqs, vals[8 * start : 8 * (start + n)])


Chunk = tuple[int, int, bytes | None, bytes]  # first seq, count, packed seqs (None: contiguous), values


def read(db: sqlite3.Connection, execution_id: str) -> StoredMetrics:
    """The execution's series: its blocks and its pending records, read in one transaction (so a
    run writing meanwhile is seen at one moment).

    Each key's values are copied block by block into one buffer sized beforehand (from the
    blocks' counts, read without their blobs): 10 M records are 320 MB of values, and a copy of
    all the blocks joined afterwards would touch twice that much fresh memory."""
    db.execute("BEGIN")
    try:
        layout = db.execute(
            "SELECT key, first_seq, count, seqs IS NULL FROM metric_blocks WHERE execution_id=? "
            "ORDER BY key, first_seq",
            (execution_id,),
        ).fetchall()
        pending = db.execute(
            "SELECT seq, record FROM metadata WHERE execution_id=? AND seq > ? ORDER BY seq",
            (execution_id, indexed_upto(db, execution_id)),
        ).fetchall()
        parts: dict[str, list[Chunk]] = {}
        for key, (seqs, values) in points_of(_decoded(pending)).items():
            if seqs:
                packed = None if seqs[-1] - seqs[0] == len(seqs) - 1 else pack("q", seqs)
                parts[key] = [(seqs[0], len(seqs), packed, pack("d", values))]
        buffers = _fill(db, execution_id, layout, parts)
    finally:
        db.execute("COMMIT")
    times = parts.pop(TIME_KEY, [])
    records, dense = _extent(times)
    out = StoredMetrics(records, None if dense else _seqs(times))
    out.keys[TIME_KEY] = KeyPoints(buffers.pop(TIME_KEY, b""))
    for key, chunks in parts.items():
        count, key_dense = _extent(chunks)
        same = key_dense and dense and count == records
        out.keys[key] = KeyPoints(buffers[key], None if same else _seqs(chunks))
    return out


def _fill(
    db: sqlite3.Connection,
    execution_id: str,
    layout: list[tuple[str, int, int, int]],
    parts: dict[str, list[Chunk]],
) -> dict[str, bytearray]:
    """Each key's values: its blocks' (``layout``: their key, first seq, count and whether the
    seqs run one by one, in order) then its pending chunk (in ``parts``, which becomes each
    key's chunks, blocks first, their values left out: they are in the buffers)."""
    chunks: dict[str, list[Chunk]] = {}
    for key, first, count, contiguous in layout:
        chunks.setdefault(key, []).append((first, count, None if contiguous else b"", b""))
    for key, pending in parts.items():
        chunks.setdefault(key, []).extend(pending)
    buffers = {key: bytearray(8 * sum(c[1] for c in kept)) for key, kept in chunks.items()}
    at = dict.fromkeys(chunks, 0)
    seqs_of: dict[str, list[bytes]] = {}
    rows = db.execute(
        "SELECT key, seqs, vals FROM metric_blocks WHERE execution_id=? ORDER BY key, first_seq",
        (execution_id,),
    )
    for key, seqs, vals in rows:  # a block's bytes at a time: their memory is used again
        buffers[key][at[key] : at[key] + len(vals)] = vals
        at[key] += len(vals)
        if seqs is not None:
            seqs_of.setdefault(key, []).append(seqs)
    for key, pending in parts.items():
        buffers[key][at[key] :] = pending[0][3]
    parts.clear()
    for key, kept in chunks.items():
        given = iter(seqs_of.get(key, ()))
        parts[key] = [(f, c, s if s is None or v else next(given), b"") for f, c, s, v in kept]
    return buffers


def _extent(chunks: list[Chunk]) -> tuple[int, bool]:
    """(points, whether their seqs are 0, 1, 2 … with no gap)."""
    n, dense = 0, True
    for first, count, seqs, _vals in chunks:
        dense = dense and seqs is None and first == n
        n += count
    return n, dense


def _seqs(chunks: list[Chunk]) -> bytes:
    return b"".join(s if s is not None else pack("q", range(f, f + c)) for f, c, s, _v in chunks)


def last_values(db: sqlite3.Connection, execution_id: str) -> dict[str, float]:
    """Each numeric key's value in the last record that has it (NaN kept), without the series."""
    out: dict[str, float] = {}
    for key, vals in db.execute(
        "SELECT key, vals FROM metric_blocks b WHERE execution_id=? AND first_seq = "
        "(SELECT MAX(first_seq) FROM metric_blocks WHERE execution_id=b.execution_id AND key=b.key)",
        (execution_id,),
    ):
        out[key] = unpack("d", vals[-8:])[0]
    pending = db.execute(
        "SELECT seq, record FROM metadata WHERE execution_id=? AND seq > ? ORDER BY seq",
        (execution_id, indexed_upto(db, execution_id)),
    ).fetchall()
    for key, (_s, values) in points_of(_decoded(pending)).items():
        if values:
            out[key] = values[-1]
    out.pop(TIME_KEY, None)
    return out


def rebuild(db: sqlite3.Connection, writer: IndexWriter, execution_id: str) -> None:
    """Index an execution's records afresh from their JSON (inside the caller's transaction)."""
    for table in TABLES:
        db.execute(f"DELETE FROM {table} WHERE execution_id=?", (execution_id,))
    writer.forget(execution_id)
    after = -1
    while True:
        rows = db.execute(
            "SELECT seq, record FROM metadata WHERE execution_id=? AND seq > ? ORDER BY seq LIMIT ?",
            (execution_id, after, BLOCK),
        ).fetchall()
        if not rows:
            break
        write_points(db, execution_id, points_of(_decoded(rows)))
        after = rows[-1][0]
    writer.forget(execution_id)


def backfill(db: sqlite3.Connection) -> None:
    """Migration 6: create the index and index every execution's records written before it."""
    db.execute(SCHEMA)
    writer = IndexWriter()
    for (execution_id,) in db.execute("SELECT DISTINCT execution_id FROM metadata").fetchall():
        rebuild(db, writer, execution_id)
