"""The per-key numeric index of metadata records: a plot reads a key's series as packed
float64 blocks instead of decoding every record's JSON (10 M records in well under a second).

Written in the same transaction as the records (``runner.store.metric_records``): every
numeric value of a record (int or float, not bool; NaN and infinities kept) is a point
``(seq, value)`` of its key, and every record is a point of the pseudo-key ``_time`` (its
``_time`` as epoch seconds, NaN when it has none), so ``_time`` lists every record. A key's
newest points wait as ``metric_tail`` rows; each time BLOCK of them gather (or a batch brings at
least DIRECT points of the key) they move into ``metric_blocks`` rows of at most BLOCK points: the values as little-endian float64, the seqs as little-endian int64
unless they run one by one from ``first_seq`` (then NULL: a key printed in every record costs
8 bytes a point).

The JSON records stay the truth (``metrics --json/--csv`` read them). The index is derived: left
out of run archives, rebuilt from the records on import, by migration 5 for stores written
before it, and whenever its last ``_time`` point is not the execution's last record.
"""

from __future__ import annotations

import json
import math
import sqlite3
import sys
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from runner.metadata import numeric, record_time

BLOCK = 4096  # points per block at most
DIRECT = 256  # a write of this many points of a key goes straight into a block
TIME_KEY = "_time"
TABLES = ("metric_blocks", "metric_tail")

SCHEMA = """
CREATE TABLE IF NOT EXISTS metric_blocks (
    execution_id TEXT NOT NULL REFERENCES executions(id), key TEXT NOT NULL,
    first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, count INTEGER NOT NULL,
    seqs BLOB, vals BLOB NOT NULL, PRIMARY KEY (execution_id, key, first_seq)
);
CREATE TABLE IF NOT EXISTS metric_tail (
    execution_id TEXT NOT NULL REFERENCES executions(id), key TEXT NOT NULL,
    seq INTEGER NOT NULL, value REAL, PRIMARY KEY (execution_id, key, seq)
) WITHOUT ROWID;
"""

_SWAP = sys.byteorder != "little"  # blobs are little-endian whatever the machine


@dataclass
class KeyPoints:
    """One key's points: ``values`` packed float64 (little-endian); ``seqs`` packed int64, or
    None when the key has one point per record (the records' own seqs)."""

    values: bytes
    seqs: bytes | None = None


@dataclass
class StoredMetrics:
    """An execution's numeric series as stored: ``records`` records whose seqs are ``record_seqs``
    (packed int64) or, when None, 0 … records-1; ``keys[TIME_KEY]`` holds their times."""

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


def points_of(rows: Iterable[tuple[int, dict[str, Any]]]) -> dict[str, tuple[list[int], list[float]]]:
    """(seq, record) rows -> key -> (seqs, values), ``_time`` included for every record."""
    times: tuple[list[int], list[float]] = ([], [])
    out = {TIME_KEY: times}
    for seq, record in rows:
        times[0].append(seq)
        times[1].append(record_time(record.get(TIME_KEY)))
        for key, value in record.items():
            kind = type(value)
            if kind is float:  # the common case first: no call
                num = value
            elif kind is bool or (num := numeric(value)) is None:
                continue
            if key == TIME_KEY:
                continue
            pts = out.get(key)
            if pts is None:
                pts = out[key] = ([], [])
            pts[0].append(seq)
            pts[1].append(num)
    return out


class IndexWriter:
    """Appends points; remembers each (execution, key)'s tail length so a write that does not
    fill a block costs only its rows (the count may be off after a rollback: then blocks are
    merely shorter or longer, never wrong)."""

    def __init__(self) -> None:
        self._tails: dict[tuple[str, str], int] = {}

    def append(
        self, db: sqlite3.Connection, execution_id: str, points: dict[str, tuple[list[int], list[float]]]
    ) -> None:
        for key, (seqs, values) in points.items():
            if seqs:
                self._append_key(db, execution_id, key, seqs, values)

    def _append_key(
        self, db: sqlite3.Connection, execution_id: str, key: str, seqs: list[int], values: list[float]
    ) -> None:
        ident = (execution_id, key)
        held = self._tails.get(ident)
        if held is None:
            held = db.execute(
                "SELECT COUNT(*) FROM metric_tail WHERE execution_id=? AND key=?", ident
            ).fetchone()[0]
        if held + len(seqs) < BLOCK and len(seqs) < DIRECT:  # a few points: rows, moved later
            _insert_tail(db, execution_id, key, seqs, values)
            self._tails[ident] = held + len(seqs)
            return
        if held:
            old = db.execute(
                "SELECT seq, value FROM metric_tail WHERE execution_id=? AND key=? ORDER BY seq", ident
            ).fetchall()
            db.execute("DELETE FROM metric_tail WHERE execution_id=? AND key=?", ident)
            if old:
                seqs = [s for s, _v in old] + seqs
                values = [math.nan if v is None else v for _s, v in old] + values
                if seqs[len(old) - 1] >= seqs[len(old)]:  # never from the runner: it appends in order
                    pairs = sorted(zip(seqs, values, strict=True), key=lambda p: p[0])
                    seqs, values = [s for s, _v in pairs], [v for _s, v in pairs]
        for start in range(0, len(seqs), BLOCK):
            write_block(
                db, execution_id, key, seqs[start : start + BLOCK], pack("d", values[start : start + BLOCK])
            )
        self._tails[ident] = 0

    def forget(self, execution_id: str) -> None:
        for ident in [i for i in self._tails if i[0] == execution_id]:
            del self._tails[ident]


def _insert_tail(
    db: sqlite3.Connection, execution_id: str, key: str, seqs: list[int], values: list[float]
) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO metric_tail (execution_id, key, seq, value) VALUES (?, ?, ?, ?)",
        [(execution_id, key, s, None if math.isnan(v) else v) for s, v in zip(seqs, values, strict=True)],
    )


def write_block(
    db: sqlite3.Connection, execution_id: str, key: str, seqs: list[int] | range, vals: bytes
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


def read(db: sqlite3.Connection, execution_id: str) -> StoredMetrics | None:
    """The execution's series, or None when the index does not cover its last record (a store
    whose index must be rebuilt). One read transaction, so a run writing meanwhile is seen at one
    moment: records and index agree."""
    db.execute("BEGIN")
    try:
        blocks = db.execute(
            "SELECT key, first_seq, count, seqs, vals FROM metric_blocks WHERE execution_id=? "
            "ORDER BY key, first_seq",
            (execution_id,),
        ).fetchall()
        tail = db.execute(
            "SELECT key, seq, value FROM metric_tail WHERE execution_id=? ORDER BY key, seq", (execution_id,)
        ).fetchall()
        last = db.execute("SELECT MAX(seq) FROM metadata WHERE execution_id=?", (execution_id,)).fetchone()[0]
    finally:
        db.execute("COMMIT")
    parts: dict[str, list[tuple[int, int, bytes | None, bytes]]] = {}
    for key, first, count, seqs, vals in blocks:
        parts.setdefault(key, []).append((first, count, seqs, vals))
    tails: dict[str, list[tuple[int, float]]] = {}
    for key, seq, value in tail:
        tails.setdefault(key, []).append((seq, math.nan if value is None else value))
    for key, pts in tails.items():
        seqs = [s for s, _v in pts]
        parts.setdefault(key, []).append(
            (seqs[0], len(seqs), _packed_seqs(seqs), pack("d", (v for _s, v in pts)))
        )
    times = parts.pop(TIME_KEY, [])
    time_seqs, n = _seqs_of(times)
    if (time_seqs.last if n else None) != last:
        return None
    out = StoredMetrics(n, None if time_seqs.dense else time_seqs.packed(), {})
    out.keys[TIME_KEY] = KeyPoints(b"".join(p[3] for p in times))
    for key, chunks in parts.items():
        seqs, count = _seqs_of(chunks)
        same = seqs.dense and time_seqs.dense and count == n
        out.keys[key] = KeyPoints(b"".join(p[3] for p in chunks), None if same else seqs.packed())
    return out


def _packed_seqs(seqs: list[int]) -> bytes | None:
    return None if seqs[-1] - seqs[0] == len(seqs) - 1 else pack("q", seqs)


@dataclass
class _Seqs:
    chunks: list[tuple[int, int, bytes | None, bytes]]
    dense: bool  # 0, 1, 2 … with no gap
    last: int

    def packed(self) -> bytes:
        return b"".join(s if s is not None else pack("q", range(f, f + c)) for f, c, s, _v in self.chunks)


def _seqs_of(chunks: list[tuple[int, int, bytes | None, bytes]]) -> tuple[_Seqs, int]:
    n, dense, last = 0, True, -1
    for first, count, seqs, _vals in chunks:
        dense = dense and seqs is None and first == n
        n += count
        last = first + count - 1 if seqs is None else unpack("q", seqs[-8:])[0]
    return _Seqs(chunks, dense, last), n


def last_values(db: sqlite3.Connection, execution_id: str) -> dict[str, float]:
    """Each numeric key's value in the last record that has it (NaN kept), without the series."""
    out: dict[str, float] = {}
    for key, vals in db.execute(
        "SELECT key, vals FROM metric_blocks b WHERE execution_id=? AND first_seq = "
        "(SELECT MAX(first_seq) FROM metric_blocks WHERE execution_id=b.execution_id AND key=b.key)",
        (execution_id,),
    ):
        out[key] = unpack("d", vals[-8:])[0]
    for key, value in db.execute(
        "SELECT key, value FROM metric_tail t WHERE execution_id=? AND seq = "
        "(SELECT MAX(seq) FROM metric_tail WHERE execution_id=t.execution_id AND key=t.key)",
        (execution_id,),
    ):
        out[key] = math.nan if value is None else value
    out.pop(TIME_KEY, None)
    return out


def rebuild(db: sqlite3.Connection, writer: IndexWriter, execution_id: str, chunk: int = 20_000) -> None:
    """Index an execution's records afresh from their JSON (inside the caller's transaction)."""
    for table in TABLES:
        db.execute(f"DELETE FROM {table} WHERE execution_id=?", (execution_id,))
    writer.forget(execution_id)
    after = -1
    while True:
        rows = db.execute(
            "SELECT seq, record FROM metadata WHERE execution_id=? AND seq > ? ORDER BY seq LIMIT ?",
            (execution_id, after, chunk),
        ).fetchall()
        if not rows:
            return
        writer.append(db, execution_id, points_of((seq, json.loads(text)) for seq, text in rows))
        after = rows[-1][0]


def backfill(db: sqlite3.Connection) -> None:
    """Migration 5: create the index and index every execution's records written before it."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    writer = IndexWriter()
    for (execution_id,) in db.execute("SELECT DISTINCT execution_id FROM metadata").fetchall():
        rebuild(db, writer, execution_id)
