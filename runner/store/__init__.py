"""Run history: SQLite (WAL) metadata plus a content-addressed artifact store."""

from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore
from runner.store.paths import data_dir

__all__ = ["ArtifactStore", "RunStore", "data_dir"]
