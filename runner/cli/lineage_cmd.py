"""``lineage RUN/NODE[/FILE]``: where an execution's inputs came from, back to files from outside,
and (for a file) which execution produced it and every execution that consumed it, across runs,
by content hash.

``--json``: ``{"format": 1, "file": null or {"path", "sha256", "producer": UPSTREAM or null,
"consumers": [{"run", "node", "execution", "status", "input", "name"}]}, "upstream": UPSTREAM}``
where UPSTREAM is ``{"run", "node", "execution", "status", "output", "inputs": [{"input",
"name", "sha256", "uri", "from": UPSTREAM or "outside"}]}``.
"""

from __future__ import annotations

import argparse
import json
from typing import IO, Any

from runner.cli.store_access import LookupFailed, resolve_target, store_command
from runner.store.lineage import Upstream, as_json, consumers, producer, upstream

FORMAT = 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("lineage", help="where an execution's inputs (or a file) came from and went")
    p.add_argument(
        "target", metavar="RUN/NODE[/FILE]", help="an execution, or one of its output or input files"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output (documented format)")
    p.set_defaults(func=lineage)


def _find_file(store: Any, row: dict[str, Any], path: str) -> str:
    for o in store.outputs(row["id"]):
        if o["path"] == path:
            return str(o["sha256"])
    for files in (row.get("inputs") or {}).values():
        for f in files:
            if f["name"] == path:
                return str(f["sha256"])
    names = [o["path"] for o in store.outputs(row["id"])]
    raise LookupFailed(
        f"{row['node']} has no output or input file {path!r} (outputs: {', '.join(names) or 'none'})"
    )


def _consumer_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "run": row["run_id"],
        "node": row["node"],
        "execution": row["id"],
        "status": row["status"],
        "input": row["input"],
        "name": row["input_name"],
    }


def _print_tree(node: Upstream, out: IO[str], depth: int = 0) -> None:
    row = node.execution
    pad = "  " * depth
    what = f"{row['run_id']}/{row['node']} ({row['status']})"
    if node.output_path:
        what = f"{node.output_path} from {what}"
    print(f"{pad}{what}" + (" (shown above)" if node.seen_before else ""), file=out)
    for source in node.inputs:
        print(f"{pad}  input {source.input}: {source.name}  sha256:{source.sha256[:16]}", file=out)
        if source.producer is None:
            print(f"{pad}    from outside: {source.uri}", file=out)
        else:
            _print_tree(source.producer, out, depth + 2)


@store_command
def lineage(args: argparse.Namespace, out: IO[str], store: Any, _artifacts: Any) -> int:
    run_id, _, rest = args.target.partition("/")
    node, _, path = rest.partition("/")
    _run, row = resolve_target(store, f"{run_id}/{node}", need_node=True)
    assert row is not None
    data: dict[str, Any] = {"format": FORMAT, "file": None}
    tree = upstream(store, row)
    if path:
        sha = _find_file(store, row, path)
        made = producer(store, sha, row["run_id"], row["node"])
        made_tree = upstream(store, made) if made is not None else None
        if made_tree is not None:
            made_tree.output_path = next(
                (o["path"] for o in store.outputs(made_tree.execution["id"]) if o["sha256"] == sha), None
            )
        used = consumers(store, sha)
        data["file"] = {
            "path": path,
            "sha256": sha,
            "producer": as_json(made_tree) if made_tree else None,
            "consumers": [_consumer_json(c) for c in used],
        }
    data["upstream"] = as_json(tree)
    if args.json:
        json.dump(data, out, indent=2, default=str)
        out.write("\n")
        return 0
    if path:
        print(f"{path}  sha256:{data['file']['sha256'][:16]}", file=out)
        print("produced by:" if made_tree else "produced by: no execution (it came from outside)", file=out)
        if made_tree:
            _print_tree(made_tree, out, 1)
        print(f"consumed by ({len(used)}):", file=out)
        for c in used:
            print(
                f"  {c['run_id']}/{c['node']} ({c['status']}) as input {c['input']}: {c['input_name']}",
                file=out,
            )
        return 0
    _print_tree(tree, out)
    return 0
