"""``diff A B``: two runs or two executions side by side (parameters, code, image, inputs,
environment, final metrics, outputs).

``--json``: ``{"format": 1, "a", "b", "code": [{"path", "change", "diff", "binary"}] or null,
"code_note", "executions": [{"node", "only_in": "a"|"b"|null, "same", "parameters"|"image"|
"inputs"|"env"|"metrics"|"outputs": [{"name", "a", "b"}]}]}``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import IO, Any

from runner.cli.store_access import LookupFailed, resolve_target, store_command
from runner.store.compare import Comparison, compare

FORMAT = 1
SECTIONS = ("parameters", "image", "inputs", "env", "metrics", "outputs")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("diff", help="compare two runs or two executions")
    p.add_argument("a", metavar="A", help="RUN or RUN/NODE (RUN may be 'latest')")
    p.add_argument("b", metavar="B", help="RUN or RUN/NODE")
    p.add_argument("--json", action="store_true", help="machine-readable output (documented format)")
    p.add_argument("--stat", action="store_true", help="name the files that differ, without their diffs")
    p.set_defaults(func=diff)


def _json(c: Comparison) -> dict[str, Any]:
    executions = []
    for e in c.executions:
        only = "a" if e.b is None else "b" if e.a is None else None
        item: dict[str, Any] = {"node": e.node, "only_in": only, "same": e.same}
        for section in SECTIONS:
            item[section] = [asdict(f) for f in getattr(e, section)]
        executions.append(item)
    code = None if c.code is None else [asdict(f) for f in c.code]
    return {
        "format": FORMAT,
        "a": c.a,
        "b": c.b,
        "code": code,
        "code_note": c.code_note,
        "executions": executions,
    }


def _show(value: Any) -> str:
    return "-" if value is None else value if isinstance(value, str) else json.dumps(value, default=str)


def _text(c: Comparison, out: IO[str], stat: bool) -> None:
    print(f"a: {c.a}\nb: {c.b}", file=out)
    print("\ncode:", file=out)
    if c.code is None:
        print(f"  unknown: {c.code_note}", file=out)
    elif not c.code:
        print("  the same", file=out)
    for change in c.code or []:
        kind = " (binary)" if change.binary else ""
        print(f"  {change.change}: {change.path}{kind}", file=out)
    if not stat:
        for change in c.code or []:
            if change.diff:
                out.write("\n" + change.diff)
    for e in c.executions:
        if e.a is None or e.b is None:
            print(f"\n{e.node}: only in {'b' if e.a is None else 'a'}", file=out)
            continue
        if e.same:
            print(
                f"\n{e.node}: same parameters, image, inputs, environment, final metrics and outputs",
                file=out,
            )
            continue
        print(f"\n{e.node}:", file=out)
        for section in SECTIONS:
            for f in getattr(e, section):
                print(f"  {section} {f.name}: {_show(f.a)}  ->  {_show(f.b)}", file=out)


@store_command
def diff(args: argparse.Namespace, out: IO[str], store: Any, artifacts: Any) -> int:
    a = resolve_target(store, args.a, need_node=False)
    b = resolve_target(store, args.b, need_node=False)
    if (a[1] is None) != (b[1] is None):
        raise LookupFailed("compare a run with a run, or an execution (RUN/NODE) with an execution")
    result = compare(store, artifacts, a, b)
    if args.json:
        json.dump(_json(result), out, indent=2, default=str)
        out.write("\n")
    else:
        _text(result, out, args.stat)
    return 0
