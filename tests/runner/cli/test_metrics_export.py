"""`metrics --json/--csv` export the records exactly as printed, whatever the numeric index holds
(no engine: the records are written into a real store)."""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

from runner.cli import history_cmd
from runner.store.db import RunStore

RECORDS = [
    {"epoch": 1, "loss": 0.1, "big": 2**63 + 1, "tiny": 5e-324, "_time": "2026-01-01T00:00:00.000001Z"},
    {"loss": float("nan"), "acc": float("inf"), "flag": True, "note": "ok", "cfg": {"lr": 0.3}},
    {"epoch": 2, "loss": 0.30000000000000004, "ids": [1, 2], "_time": 1767225600.5},
]


def _cli(*argv: str) -> str:
    parser = argparse.ArgumentParser()
    history_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    out = io.StringIO()
    assert args.func(args, out) == 0
    return out.getvalue()


def test_json_and_csv_exports_are_the_records_as_printed(home: Path) -> None:
    store = RunStore(home / "runs.sqlite3")
    store.create_run("r1", started=1.0, status="succeeded")
    store.upsert_execution("r1-a", run_id="r1", node="a", status="succeeded")
    store.add_metadata_batch("r1-a", [(i, 1.0, r) for i, r in enumerate(RECORDS)])
    assert store.last_metric_values("r1-a")["big"] == float(2**63 + 1)  # the index is float64 …
    store.close()
    exported = json.loads(_cli("metrics", "r1/a", "--json"))["records"]
    assert json.dumps(exported) == json.dumps(RECORDS)  # … the export is every digit, NaN and type
    assert exported[0]["big"] == 2**63 + 1 and exported[0]["tiny"] == 5e-324
    rows = list(csv.DictReader(io.StringIO(_cli("metrics", "r1/a", "--csv"))))
    assert rows[0]["big"] == str(2**63 + 1) and rows[2]["loss"] == "0.30000000000000004"
    assert rows[1]["loss"] == "nan" and rows[1]["cfg"] == '{"lr": 0.3}' and rows[2]["ids"] == "[1, 2]"
