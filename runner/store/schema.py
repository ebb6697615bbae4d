"""The run store's schema and its versions: ``PRAGMA user_version`` plus numbered migrations.

A store file records the number of the last migration it ran in SQLite's ``user_version``
header field (0 for a store written before versions existed; its tables are migration 1's).
Opening a store runs, in one transaction, every migration it lacks, so a store written by
any earlier version opens without loss; a store whose version is newer than this program's
``LATEST`` is refused with ``StoreVersionError`` before anything is written to it.

Adding a table, a column or an index (the only kinds of change a migration makes):

1. Append ``Migration(N, "what it adds and why", SQL)`` to ``MIGRATIONS`` below, N being the
   last number plus one. ``SQL`` is one or more statements separated by ``;``; for a change
   that needs Python (moving data between columns, backfilling a new table) give a function
   ``def apply(db: sqlite3.Connection) -> None`` instead. It runs inside the upgrade's
   transaction: never ``COMMIT`` in it.
2. Only add: ``CREATE TABLE``, ``ALTER TABLE ... ADD COLUMN`` (nullable or with a default),
   ``CREATE INDEX``/``VIEW``. Never drop, rename or change the meaning of what an older
   version reads: an older program refuses the upgraded store anyway, but its users' rows
   must survive the upgrade as they were.
3. Never edit or renumber a migration that is on main: stores out there have run it. If main
   gained a migration with your number while you worked, renumber yours before landing.
4. ``tests/runner/store/test_store_schema.py`` upgrades the fixture store written before versions
   existed (``tests/runner/store/fixtures/store-v0``) through every migration and checks every row
   survives; add an assertion there for what your migration must hold.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from runner.store import metric_index


class StoreError(RuntimeError):
    """The store cannot be opened; the message names the file and what to do."""


class StoreVersionError(StoreError):
    """The store was written by a newer version of the program; it is left untouched."""


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: str | Callable[[sqlite3.Connection], None]


_BASELINE = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, pipeline TEXT, step TEXT, yaml_path TEXT, status TEXT NOT NULL,
    started REAL NOT NULL, ended REAL, pid INTEGER, host TEXT, backend TEXT, options TEXT
);
CREATE TABLE IF NOT EXISTS executions (
    id TEXT PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs(id), node TEXT NOT NULL,
    step TEXT, image TEXT, command TEXT, parameters TEXT, inputs TEXT, env TEXT,
    reuse_key TEXT, status TEXT NOT NULL, exit_code INTEGER, started REAL, ended REAL,
    host TEXT, backend TEXT, reused_from TEXT, message TEXT, log_path TEXT,
    UNIQUE (run_id, node)
);
CREATE INDEX IF NOT EXISTS executions_reuse ON executions (reuse_key, status);
CREATE TABLE IF NOT EXISTS outputs (
    execution_id TEXT NOT NULL REFERENCES executions(id), path TEXT NOT NULL,
    sha256 TEXT NOT NULL, size INTEGER NOT NULL, properties TEXT,
    PRIMARY KEY (execution_id, path)
);
CREATE TABLE IF NOT EXISTS metadata (
    execution_id TEXT NOT NULL REFERENCES executions(id), seq INTEGER NOT NULL,
    time REAL NOT NULL, record TEXT NOT NULL, PRIMARY KEY (execution_id, seq)
);
"""

# What each execution ran with (code snapshot, reads, image digest), run tags and notes,
# and inputs by content for lineage queries.
_VERSIONING = """
ALTER TABLE runs ADD COLUMN note TEXT;
ALTER TABLE runs ADD COLUMN snapshot_id TEXT;
ALTER TABLE runs ADD COLUMN yaml_sha256 TEXT;
ALTER TABLE runs ADD COLUMN git TEXT;
ALTER TABLE runs ADD COLUMN runner_version TEXT;
ALTER TABLE executions ADD COLUMN snapshot_id TEXT;
ALTER TABLE executions ADD COLUMN base_key TEXT;
ALTER TABLE executions ADD COLUMN code_key TEXT;
ALTER TABLE executions ADD COLUMN reads TEXT;
ALTER TABLE executions ADD COLUMN decision TEXT;
ALTER TABLE executions ADD COLUMN image_digest TEXT;
ALTER TABLE executions ADD COLUMN gpu_ids TEXT;
ALTER TABLE executions ADD COLUMN runner_version TEXT;
CREATE INDEX IF NOT EXISTS executions_base_key ON executions (base_key, status);
CREATE INDEX IF NOT EXISTS outputs_sha256 ON outputs (sha256);
CREATE TABLE IF NOT EXISTS run_tags (
    run_id TEXT NOT NULL REFERENCES runs(id), tag TEXT NOT NULL, PRIMARY KEY (run_id, tag)
);
CREATE INDEX IF NOT EXISTS run_tags_tag ON run_tags (tag);
CREATE TABLE IF NOT EXISTS code_snapshots (
    id TEXT PRIMARY KEY, created REAL NOT NULL, files INTEGER NOT NULL, bytes INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshot_files (
    snapshot_id TEXT NOT NULL REFERENCES code_snapshots(id), path TEXT NOT NULL,
    kind TEXT NOT NULL, sha256 TEXT, size INTEGER NOT NULL, target TEXT,
    PRIMARY KEY (snapshot_id, path)
);
CREATE INDEX IF NOT EXISTS snapshot_files_sha256 ON snapshot_files (sha256);
CREATE TABLE IF NOT EXISTS execution_inputs (
    execution_id TEXT NOT NULL REFERENCES executions(id), input TEXT NOT NULL,
    name TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER, uri TEXT,
    PRIMARY KEY (execution_id, input, name)
);
CREATE INDEX IF NOT EXISTS execution_inputs_sha256 ON execution_inputs (sha256);
CREATE TABLE IF NOT EXISTS file_hashes (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    inode INTEGER NOT NULL, sha256 TEXT NOT NULL
);
CREATE VIEW IF NOT EXISTS blob_refs (sha256, run_id, execution_id, role) AS
    SELECT o.sha256, e.run_id, o.execution_id, 'output' FROM outputs o
        JOIN executions e ON e.id = o.execution_id
    UNION ALL SELECT i.sha256, e.run_id, i.execution_id, 'input' FROM execution_inputs i
        JOIN executions e ON e.id = i.execution_id
    UNION ALL SELECT f.sha256, r.id, NULL, 'code' FROM runs r
        JOIN snapshot_files f ON f.snapshot_id = r.snapshot_id WHERE f.sha256 IS NOT NULL
    UNION ALL SELECT f.sha256, e.run_id, e.id, 'code' FROM executions e
        JOIN snapshot_files f ON f.snapshot_id = e.snapshot_id WHERE f.sha256 IS NOT NULL
    UNION ALL SELECT yaml_sha256, id, NULL, 'yaml' FROM runs WHERE yaml_sha256 IS NOT NULL
    UNION ALL SELECT json_extract(git, '$.diff_sha256'), id, NULL, 'git-diff' FROM runs
        WHERE json_extract(git, '$.diff_sha256') IS NOT NULL;
"""


# Once a second per running execution (runner.sysmetrics); ``gpus`` is JSON
# ``[[index, util_percent, memory_bytes, memory_total_bytes], ...]``, ``gpu_note`` why it has none.
_SYSTEM = """
CREATE TABLE IF NOT EXISTS system_samples (
    execution_id TEXT NOT NULL REFERENCES executions(id), seq INTEGER NOT NULL, time REAL NOT NULL,
    cpu_percent REAL, memory_bytes INTEGER, memory_limit_bytes INTEGER, gpus TEXT,
    PRIMARY KEY (execution_id, seq)
);
ALTER TABLE executions ADD COLUMN gpu_note TEXT;
"""


def _backfill_inputs(db: sqlite3.Connection) -> None:
    """Executions recorded before migration 2 get their input files indexed by content too."""
    rows = db.execute("SELECT id, inputs FROM executions WHERE inputs IS NOT NULL").fetchall()
    for execution_id, text in rows:
        db.executemany(
            "INSERT OR IGNORE INTO execution_inputs (execution_id, input, name, sha256, size, uri) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            list(input_rows(execution_id, json.loads(text))),
        )


def input_rows(execution_id: str, inputs: dict[str, list[dict[str, object]]]) -> list[tuple[object, ...]]:
    """``execution_inputs`` rows of an execution's ``inputs`` column value."""
    return [
        (execution_id, name, f["name"], f["sha256"], f.get("size"), f.get("uri"))
        for name, files in (inputs or {}).items()
        for f in files
        if isinstance(f, dict) and f.get("sha256")
    ]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "runs, executions, outputs and metadata (the schema before versions)", _BASELINE),
    Migration(2, "code snapshots, reads, image digests, run tags and notes", _VERSIONING),
    Migration(3, "index the input files of executions recorded before migration 2", _backfill_inputs),
    Migration(
        4,
        "the runner process's start time, so a pid handed to another process is not taken for a live run",
        "ALTER TABLE runs ADD COLUMN pid_start TEXT",
    ),
    Migration(5, "system samples of each execution (CPU, memory, GPUs), apart from its metadata", _SYSTEM),
    Migration(
        6,
        "a per-key numeric index of metadata records (metric_blocks), so a plot reads a key's series "
        "without decoding every record; records written before it are indexed",
        metric_index.backfill,
    ),
)
LATEST = MIGRATIONS[-1].version


def version_of(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def check_version(db: sqlite3.Connection, path: Path) -> int:
    """The store's version; StoreVersionError if this program is too old for it (nothing written)."""
    version = version_of(db)
    if version > LATEST:
        raise StoreVersionError(
            f"{path}: this run store was written by a newer version of Pipeline Designer "
            f"(store schema {version}; this version reads up to {LATEST}). Upgrade Pipeline Designer, "
            "or point PIPELINE_DESIGNER_HOME at another folder; the store was not changed."
        )
    return version


def migrate(db: sqlite3.Connection, path: Path) -> int:
    """Bring the store to LATEST in one transaction (all steps or none); returns the old version.

    ``db`` is in autocommit mode (``isolation_level=None``). Two processes opening an old store
    at once are serialized by ``BEGIN IMMEDIATE``; the second finds the work done.
    """
    if check_version(db, path) == LATEST:
        return LATEST
    db.execute("BEGIN IMMEDIATE")
    try:
        old = check_version(db, path)
        for step in MIGRATIONS[old:]:
            if callable(step.apply):
                step.apply(db)
            else:
                for statement in _statements(step.apply):
                    db.execute(statement)
        db.execute(f"PRAGMA user_version = {LATEST}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return old


def _statements(script: str) -> list[str]:
    """Split a script into statements (``executescript`` would commit the transaction)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
