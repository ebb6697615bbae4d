"""Autosave files for crash recovery: one JSON file per document, removed on a clean save or close."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from designer.document.pipeline_document import Snapshot

UNTITLED = "untitled"


@dataclass(frozen=True)
class RecoveryEntry:
    path: Path | None  # the document's file, None for an untitled document
    snapshot: Snapshot
    saved_at: datetime


class RecoveryStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _file(self, path: Path | None) -> Path:
        key = hashlib.sha256(str(path).encode("utf-8")).hexdigest()[:16] if path else UNTITLED
        return self.root / f"{key}.json"

    def write(self, path: Path | None, snapshot: Snapshot) -> Path:
        """Atomically write the memento (a crash mid-write must not destroy the previous one)."""
        self.root.mkdir(parents=True, exist_ok=True)
        payload = {
            "path": str(path) if path else None,
            "text": snapshot.text,
            "positions": snapshot.positions,
            "saved_at": datetime.now().isoformat(timespec="seconds"),
        }
        target = self._file(path)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".autosave-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(payload, f)
        os.replace(tmp, target)
        return target

    def remove(self, path: Path | None) -> None:
        self._file(path).unlink(missing_ok=True)

    def find(self, path: Path | None) -> RecoveryEntry | None:
        """The autosave for ``path``; with no path, the newest autosave of any document."""
        if path is not None:
            return self._read(self._file(path))
        candidates = sorted(self.root.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for candidate in candidates:
            entry = self._read(candidate)
            if entry is not None:
                return entry
        return None

    def _read(self, file: Path) -> RecoveryEntry | None:
        try:
            raw = json.loads(file.read_text(encoding="utf-8"))
            positions = {
                str(p): {str(n): (float(xy[0]), float(xy[1])) for n, xy in nodes.items()}
                for p, nodes in raw["positions"].items()
            }
            return RecoveryEntry(
                Path(raw["path"]) if raw.get("path") else None,
                Snapshot(str(raw["text"]), positions),
                datetime.fromisoformat(raw["saved_at"]),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing or damaged: nothing to recover
