"""Runs table benchmark: the Runs dock filled from a store of many runs, and one keystroke of its
text filter, against the command line listing the same runs in the same process and store.

    python benchmarks/runs_table.py [--runs 300] [--records 40] [--json]

The store holds ``--runs`` runs of one file, three executions each printing ``--records`` metric
records (what a few weeks of a team's runs look like). Figures: the dock's refresh (store read,
columns built, table sized) the first time and again (a filter changed: finished executions'
final metrics are remembered), and the text filter (every row matched), as medians; the baseline
is ``pipeline-designer history --limit RUNS --json`` run in-process on the same store, which reads
the same rows without their parameters and final metrics.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FILE = "/work/project/valohai.yaml"
NODES = ("preprocess", "train", "evaluate")


def fill(home: Path, runs: int, records: int) -> None:
    from runner.api import open_store

    _home, store, _artifacts = open_store(home)
    t0 = time.time() - runs * 60
    for i in range(runs):
        run_id = f"20260101-{i:06d}-{i:06x}"
        store.create_run(run_id, pipeline="training-pipeline", yaml_path=FILE, started=t0 + 60 * i)
        for node in NODES:
            eid = f"{run_id}-{node}"
            params = {"learning_rate": 0.001 * (1 + i % 7), "epochs": 10 + i % 3, "seed": 42}
            store.upsert_execution(
                eid, run_id=run_id, node=node, step=node, status="succeeded", parameters=params
            )
            for k in range(records):
                store.add_metadata(
                    eid, k, t0, {"epoch": k, "loss": 1 / (k + 1), "accuracy": 0.5 + k / (2 * records)}
                )
        store.set_run_tags(run_id, ["nightly"] if i % 5 == 0 else [])
        store.finish_run(run_id, "succeeded" if i % 9 else "failed", t0 + 60 * i + 30)
    store.close()


def median_s(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--records", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from designer.app import create_app
    from designer.bridge.history import RunHistory
    from designer.run.runs_browser import RunsBrowser
    from runner.cli import history_cmd

    app = create_app()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        os.environ["PIPELINE_DESIGNER_HOME"] = str(home)
        fill(home, args.runs, args.records)
        browser = RunsBrowser(RunHistory(home))
        browser.resize(1400, 500)
        browser.show()
        browser.set_file(FILE)
        first = median_s(browser.refresh, 1)  # the dock opened: every run's final metrics read
        table = median_s(browser.refresh, args.repeat)  # a filter changed: finished runs are known
        assert len(browser.visible_ids()) == args.runs, len(browser.visible_ids())
        words = iter(["learning_rate=0.003", "nightly", "failed", "0.004", ""] * args.repeat)
        typing = median_s(lambda: browser.filters.text.setText(next(words)), args.repeat * 5)
        cli = argparse.ArgumentParser()
        history_cmd.register(cli.add_subparsers(dest="command"))
        cli_args = cli.parse_args(["history", "--limit", str(args.runs), "--json"])
        baseline = median_s(lambda: cli_args.func(cli_args, io.StringIO()), args.repeat)
        browser.close()
    app.processEvents()
    figures = {
        "runs": args.runs,
        "records_per_execution": args.records,
        "runs_table_first_fill_s": round(first, 4),
        "runs_table_refresh_s": round(table, 4),
        "cli_history_json_s": round(baseline, 4),
        "first_fill_over_cli": round(first / baseline, 2),
        "refresh_over_cli": round(table / baseline, 2),
        "text_filter_keystroke_ms": round(typing * 1000, 2),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:>28}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
