"""``history``, ``show``, ``metrics`` and ``outputs``: read the run store.

``--json`` output is a stable format for scripts (``"format": 1``; fields are only ever added):

- ``history --json``: ``{"format": 1, "runs": [RUN, ...]}`` newest first, where RUN is
  ``{"id", "pipeline", "step", "status", "started", "ended", "backend", "yaml_path", "tags",
  "note"}`` (times are UTC ISO-8601 strings or null; ``tags`` a sorted list).
- ``show RUN --json``: ``{"format": 1, "run": RUN, "executions": [EXECUTION, ...]}`` (RUN here
  also has ``"snapshot_id"``, ``"git"``: ``{"commit", "branch", "dirty", "untracked",
  "diff_sha256"}`` or null, ``"runner_version"``);
  ``show RUN/NODE --json``: ``{"format": 1, "run": RUN, "execution": EXECUTION}``, where EXECUTION is
  ``{"id", "node", "step", "status", "exit_code", "started", "ended", "image", "command",
  "parameters", "inputs": {name: [{"name", "sha256", "size", "uri"}]}, "outputs": [{"path",
  "sha256", "size", "properties"}], "reused_from", "message", "last_metadata": {key: value},
  "log_path", "host", "backend", "decision", "image_digest", "snapshot_id", "gpu_ids", "env",
  "runner_version", "reads": {"complete": true, "files": [...]} or {"complete": false, "why"}
  or null}``; ``decision`` says why it was reused or ran ("reused: none of the 3 files train read
  changed", "re-ran: train.py changed"); ``env`` shows secret-looking values as ``<hidden>``.
- ``metrics RUN/NODE --json``: ``{"format": 1, "records": [{..., "_time"}, ...]}`` in print order;
  ``metrics RUN/NODE --system [--json]``: its system samples (runner.cli.system_export).

``RUN`` may be ``latest``. A task node's executions are rows named ``NODE#K`` (``train#3``;
``show RUN/train#3`` shows one), listed right after the task node's own row, whose status is
the task's and whose outputs are the union its downstream nodes received.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path
from typing import IO, Any

from runner.cli.store_access import LookupFailed, iso_or_none, resolve_target, store_command
from runner.cli.system_export import export_system
from runner.execution.naming import split_unit
from runner.metadata import latest_values
from runner.store.artifacts import MissingBlob

FORMAT = 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("history", help="list past runs")
    p.add_argument("--json", action="store_true", help="machine-readable output (documented format)")
    p.add_argument("--limit", type=int, default=50, help="how many runs (default 50)")
    p.add_argument("--file", type=Path, help="only runs of this valohai.yaml")
    p.add_argument("--pipeline", help="only runs of this pipeline")
    p.add_argument(
        "--status", action="append", default=[], help="only runs with this status (repeatable: any)"
    )
    p.add_argument("--tag", action="append", default=[], help="only runs tagged so (repeatable: all of them)")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="[NODE.]NAME=VALUE",
        help="only runs where some execution (of NODE) had this parameter value (repeatable: all)",
    )
    p.set_defaults(func=history)
    p = subparsers.add_parser("show", help="show a run or one of its executions")
    p.add_argument("target", metavar="RUN[/NODE]", help="run id (or 'latest'), optionally /NODE")
    p.add_argument("--json", action="store_true", help="machine-readable output (documented format)")
    p.set_defaults(func=show)
    p = subparsers.add_parser("metrics", help="export an execution's metadata records")
    p.add_argument("target", metavar="RUN/NODE")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--csv", action="store_true", help="CSV, one column per key (default)")
    fmt.add_argument("--json", action="store_true", help="JSON records")
    p.add_argument(
        "--system", action="store_true", help="its container's CPU, memory and GPU samples instead"
    )
    p.set_defaults(func=metrics)
    p = subparsers.add_parser("outputs", help="copy an execution's outputs into a folder")
    p.add_argument("target", metavar="RUN/NODE")
    p.add_argument("--to", required=True, type=Path, help="destination folder (created if missing)")
    p.set_defaults(func=outputs)


def _run_json(run: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "id",
        "pipeline",
        "step",
        "status",
        "backend",
        "yaml_path",
        "note",
        "snapshot_id",
        "git",
        "runner_version",
    )
    return {
        **{k: run.get(k) for k in keys},
        "tags": run.get("tags", []),
        "started": iso_or_none(run["started"]),
        "ended": iso_or_none(run["ended"]),
    }


def _execution_json(store: Any, row: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "id",
        "node",
        "step",
        "status",
        "exit_code",
        "image",
        "command",
        "parameters",
        "inputs",
        "reused_from",
        "message",
        "log_path",
        "host",
        "backend",
        "decision",
        "image_digest",
        "snapshot_id",
        "gpu_ids",
        "env",
        "runner_version",
    )
    outputs = [{k: o[k] for k in ("path", "sha256", "size", "properties")} for o in store.outputs(row["id"])]
    return {
        **{k: row.get(k) for k in keys},
        "started": iso_or_none(row.get("started")),
        "ended": iso_or_none(row.get("ended")),
        "outputs": outputs,
        "last_metadata": latest_values(store.metadata(row["id"])),
        "reads": _reads_json(_reads_of(store, row)),
    }


def _reads_of(store: Any, row: dict[str, Any]) -> dict[str, Any] | None:
    """A reused execution read what the one it reused read."""
    if row.get("reads") is None and row.get("reused_from"):
        original = store.execution_by_id(row["reused_from"])
        return original.get("reads") if original else None
    return row.get("reads")


def _reads_json(reads: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the execution read of its code folder: the files, or why that is not known."""
    if not reads:
        return None
    if not reads.get("complete"):
        return {"complete": False, "why": reads.get("why", "")}
    deps = reads.get("dependencies") or {}
    return {"complete": True, "files": sorted(d[2:] for d in deps if d.startswith("f:"))}


def _task_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A task node's executions (``train#1``, ``train#2``, ...) right after its own row, by index."""
    children: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    nodes = {r["node"] for r in rows}
    plain = []
    for row in rows:
        parent, k = split_unit(row["node"], nodes)
        if k is not None:
            children.setdefault(parent, []).append((k, row))
        else:
            plain.append(row)
    out = []
    for row in plain:
        out.append(row)
        out.extend(child for _k, child in sorted(children.get(row["node"], []), key=lambda kc: kc[0]))
    return out


@store_command
def history(args: argparse.Namespace, out: IO[str], store: Any, _artifacts: Any) -> int:
    params: dict[str, Any] = {}
    for item in args.param:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise LookupFailed(f"--param {item!r} is not [NODE.]NAME=VALUE")
        params[key] = value  # text: matches the value it reads as (runner.store.run_filter)
    runs = store.runs(
        limit=args.limit,
        file=os.path.abspath(args.file) if args.file else None,  # as the executor records it
        pipeline=args.pipeline,
        status=args.status,
        tag=args.tag,
        params=params,
    )
    if args.json:
        json.dump({"format": FORMAT, "runs": [_run_json(r) for r in runs]}, out, indent=2)
        out.write("\n")
        return 0
    for run in runs:
        what = f"pipeline {run['pipeline']}" if run["pipeline"] else f"step {run['step']}"
        took = f"{run['ended'] - run['started']:.1f}s" if run["ended"] else "-"
        tags = "  [" + ", ".join(run["tags"]) + "]" if run["tags"] else ""
        print(f"{run['id']}  {run['status']:<11} {took:>8}  {what}{tags}", file=out)
    return 0


@store_command
def show(args: argparse.Namespace, out: IO[str], store: Any, _artifacts: Any) -> int:
    run, row = resolve_target(store, args.target, need_node=False)
    if row is not None:
        data: dict[str, Any] = {
            "format": FORMAT,
            "run": _run_json(run),
            "execution": _execution_json(store, row),
        }
    else:
        rows = [_execution_json(store, r) for r in _task_order(store.executions(run["id"]))]
        data = {"format": FORMAT, "run": _run_json(run), "executions": rows}
    if args.json:
        json.dump(data, out, indent=2, default=str)
        out.write("\n")
        return 0
    r = data["run"]
    print(f"run {r['id']}: {r['status']}  started {r['started']}  ended {r['ended']}", file=out)
    if r["tags"]:
        print(f"tags: {', '.join(r['tags'])}", file=out)
    if r["note"]:
        print(f"note: {r['note']}", file=out)
    git = r.get("git")
    if git:
        dirty = " (uncommitted changes)" if git.get("dirty") else ""
        print(f"git: {git.get('branch') or 'detached'} {git['commit'][:12]}{dirty}", file=out)
    for ex in [data["execution"]] if row is not None else data["executions"]:
        print(
            f"\n{ex['node']} ({ex['step']}): {ex['status']}"
            + (f" - {ex['message']}" if ex["message"] else ""),
            file=out,
        )
        if ex.get("decision"):
            print(f"  {ex['decision']}", file=out)
        for key in ("image", "image_digest", "exit_code", "started", "ended", "reused_from", "log_path"):
            if ex.get(key) is not None:
                print(f"  {key}: {ex[key]}", file=out)
        reads = ex.get("reads")
        if reads and reads["complete"]:
            print(f"  read: {', '.join(reads['files']) or 'no file of the code folder'}", file=out)
        elif reads:
            print(f"  read: not known ({reads['why']}): the whole code folder counts", file=out)
        if ex.get("parameters"):
            print(f"  parameters: {json.dumps(ex['parameters'])}", file=out)
        for name, files in (ex.get("inputs") or {}).items():
            for f in files:
                print(f"  input {name}: {f['name']}  sha256:{f['sha256'][:16]}  {f['size']} B", file=out)
        for o in ex["outputs"]:
            print(f"  output {o['path']}  sha256:{o['sha256'][:16]}  {o['size']} B", file=out)
        if ex["last_metadata"]:
            print(f"  metadata: {json.dumps(ex['last_metadata'], default=str)}", file=out)
    return 0


@store_command
def metrics(args: argparse.Namespace, out: IO[str], store: Any, _artifacts: Any) -> int:
    _run, row = resolve_target(store, args.target, need_node=True)
    assert row is not None
    if getattr(args, "system", False):
        return export_system(store, row, out, args.json)
    records = store.metadata(row["id"])
    if args.json:
        json.dump({"format": FORMAT, "records": records}, out, indent=2, default=str)
        out.write("\n")
        return 0
    keys = ["_time", *sorted({k for r in records for k in r if k != "_time"})]
    writer = csv.DictWriter(out, fieldnames=keys, extrasaction="ignore")
    writer.writeheader()
    for record in records:
        writer.writerow({k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in record.items()})
    return 0


@store_command
def outputs(args: argparse.Namespace, out: IO[str], store: Any, artifacts: Any) -> int:
    _run, row = resolve_target(store, args.target, need_node=True)
    assert row is not None
    dest = args.to.resolve()
    files = store.outputs(row["id"])
    missing = []
    for o in files:
        target = (dest / o["path"]).resolve()
        if not target.is_relative_to(dest):  # stored paths are checked on the way in; belt and braces
            raise LookupFailed(f"refusing output path {o['path']!r}")
        try:
            artifacts.copy_out(o["sha256"], target)
        except MissingBlob:  # the others are copied all the same
            missing.append(o)
    of = f" of {len(files)}" if missing else ""
    print(f"copied {len(files) - len(missing)}{of} output(s) to {dest}", file=out)
    users = store.runs_using(o["sha256"] for o in missing)
    for o in missing:
        runs = ", ".join(users.get(o["sha256"], [])) or "none"
        why = f"{MissingBlob(o['sha256'])}; runs that lose it: {runs}"
        print(f"pipeline-designer outputs: error: {o['path']}: {why}", file=sys.stderr)
    if missing:
        print(
            "pipeline-designer outputs: `pipeline-designer gc --verify` lists every missing file",
            file=sys.stderr,
        )
    return 1 if missing else 0
