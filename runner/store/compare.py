"""Two runs (or two executions) side by side: parameters, code, image, inputs, environment and
final metrics, from what the store recorded (``pipeline-designer diff``, the designer's Compare).

The code is compared file by file between the two code snapshots, with a unified diff of each
text file that differs; a run recorded before snapshots were kept has no code to compare.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from runner.metadata import latest_values
from runner.store.artifacts import ArtifactStore
from runner.store.db import RunStore

MAX_DIFF_FILE = 1024 * 1024  # bigger text files are named as changed, not diffed


@dataclass
class FileChange:
    path: str
    change: str  # "added", "removed" or "changed"
    diff: str = ""  # unified diff of a text file ("" for binary or big files)
    binary: bool = False


@dataclass
class Field:
    name: str
    a: Any
    b: Any


@dataclass
class ExecutionDiff:
    node: str
    a: dict[str, Any] | None  # the execution rows (None: only on one side)
    b: dict[str, Any] | None
    parameters: list[Field] = field(default_factory=list)
    image: list[Field] = field(default_factory=list)
    inputs: list[Field] = field(default_factory=list)
    env: list[Field] = field(default_factory=list)
    metrics: list[Field] = field(default_factory=list)
    outputs: list[Field] = field(default_factory=list)

    @property
    def same(self) -> bool:
        parts = (self.parameters, self.image, self.inputs, self.env, self.metrics, self.outputs)
        return self.a is not None and self.b is not None and not any(parts)


@dataclass
class Comparison:
    a: str  # labels: RUN or RUN/NODE
    b: str
    code: list[FileChange] | None  # None: a side has no code snapshot
    code_note: str = ""
    executions: list[ExecutionDiff] = field(default_factory=list)


def _fields(a: dict[str, Any], b: dict[str, Any]) -> list[Field]:
    return [Field(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def _inputs(row: dict[str, Any]) -> dict[str, Any]:
    return {
        name: sorted((f["name"], f["sha256"]) for f in files)
        for name, files in (row.get("inputs") or {}).items()
    }


def compare_executions(
    store: RunStore, node: str, a: dict[str, Any] | None, b: dict[str, Any] | None
) -> ExecutionDiff:
    out = ExecutionDiff(node, a, b)
    if a is None or b is None:
        return out
    out.parameters = _fields(a.get("parameters") or {}, b.get("parameters") or {})
    out.image = _fields(
        {"image": a.get("image"), "digest": a.get("image_digest")},
        {"image": b.get("image"), "digest": b.get("image_digest")},
    )
    out.inputs = _fields(_inputs(a), _inputs(b))
    out.env = _fields(a.get("env") or {}, b.get("env") or {})
    metrics = [latest_values(store.metadata(row["id"])) for row in (a, b)]
    for m in metrics:
        m.pop("_time", None)
    out.metrics = _fields(*metrics)
    files = [{o["path"]: o["sha256"] for o in store.outputs(row["id"])} for row in (a, b)]
    out.outputs = _fields(*files)
    return out


def compare_code(
    store: RunStore, artifacts: ArtifactStore, a_snapshot: str | None, b_snapshot: str | None
) -> list[FileChange]:
    """Files that differ between two snapshots (by path), each text file with its unified diff."""
    a = {r["path"]: r for r in store.snapshot_files(a_snapshot)} if a_snapshot else {}
    b = {r["path"]: r for r in store.snapshot_files(b_snapshot)} if b_snapshot else {}
    changes = []
    for path in sorted(set(a) | set(b)):
        ra, rb = a.get(path), b.get(path)
        if ra and rb and (ra["sha256"], ra["target"], ra["kind"]) == (rb["sha256"], rb["target"], rb["kind"]):
            continue
        change = "added" if ra is None else "removed" if rb is None else "changed"
        changes.append(_file_change(artifacts, path, change, ra, rb))
    return changes


def _text(artifacts: ArtifactStore, row: dict[str, Any] | None) -> tuple[list[str], bool]:
    """(lines, is text) of a snapshot file (a link reads as its target)."""
    if row is None:
        return [], True
    if row["kind"] == "L":
        return [f"-> {row['target']}\n"], True
    if row["size"] > MAX_DIFF_FILE or not row["sha256"] or not artifacts.has(row["sha256"]):
        return [], False
    data = artifacts.path_for(row["sha256"]).read_bytes()
    if b"\0" in data:
        return [], False
    try:
        return data.decode("utf-8").splitlines(keepends=True), True
    except UnicodeDecodeError:
        return [], False


def _file_change(
    artifacts: ArtifactStore, path: str, change: str, a: dict[str, Any] | None, b: dict[str, Any] | None
) -> FileChange:
    lines_a, text_a = _text(artifacts, a)
    lines_b, text_b = _text(artifacts, b)
    if not (text_a and text_b):
        return FileChange(path, change, binary=True)
    diff = difflib.unified_diff(
        lines_a,
        lines_b,
        fromfile="/dev/null" if a is None else f"a/{path}",
        tofile="/dev/null" if b is None else f"b/{path}",
    )
    return FileChange(path, change, "".join(line if line.endswith("\n") else line + "\n" for line in diff))


def compare(
    store: RunStore,
    artifacts: ArtifactStore,
    a: tuple[dict[str, Any], dict[str, Any] | None],
    b: tuple[dict[str, Any], dict[str, Any] | None],
) -> Comparison:
    """``a``/``b``: (run row, execution row or None for the whole run)."""
    (run_a, ex_a), (run_b, ex_b) = a, b
    label_a = run_a["id"] + (f"/{ex_a['node']}" if ex_a else "")
    label_b = run_b["id"] + (f"/{ex_b['node']}" if ex_b else "")
    snap_a = (ex_a or {}).get("snapshot_id") or run_a.get("snapshot_id")
    snap_b = (ex_b or {}).get("snapshot_id") or run_b.get("snapshot_id")
    result = Comparison(label_a, label_b, None)
    missing = [label for label, snap in ((label_a, snap_a), (label_b, snap_b)) if not snap]
    if missing:
        result.code_note = (
            f"{' and '.join(missing)} kept no code snapshot (recorded before snapshots were kept)"
        )
    else:
        result.code = compare_code(store, artifacts, snap_a, snap_b)
    if ex_a is not None and ex_b is not None:
        result.executions = [compare_executions(store, ex_a["node"], ex_a, ex_b)]
        return result
    rows_a = {r["node"]: r for r in store.executions(run_a["id"])}
    rows_b = {r["node"]: r for r in store.executions(run_b["id"])}
    order = list(rows_a) + [n for n in rows_b if n not in rows_a]
    result.executions = [compare_executions(store, n, rows_a.get(n), rows_b.get(n)) for n in order]
    return result
