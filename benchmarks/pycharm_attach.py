"""Debugging a node in PyCharm, the CLI end to end, against its baselines in the same run:

    .venv/bin/python benchmarks/pycharm_attach.py [--repeat 5]

- plain: ``run FILE --step train`` (the node's own run, container and store included);
- debugpy: ``--debug``, a Debug Adapter Protocol client attaches, stops at a breakpoint in the
  loop, clears it and continues (what VS Code does);
- pycharm: ``--debug --debugger pycharm``, a pydevd protocol server (what PyCharm's debug server
  is) already listening takes the node's connection through the runner, stops it at the same
  breakpoint, clears it and resumes.

Each variant runs the same script to its end with its output collected; they alternate, so load
on the machine hits them alike. Reported: the median wall time of each and its ratio to plain,
and for the debuggers the time from the command's start to the stop at the breakpoint. The
first fetch of pydevd-pycharm (once per version, from the package index) is timed on its own.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runner.cli.main import build_parser
from runner.debug.pydevd_package import ensure_pydevd
from tests.support.dap_client import DapClient, attach_and_break
from tests.support.debug_cli import LISTENING, run_debug_cli
from tests.support.debug_project import LOOP_LINE, SCRIPT, TRAIN
from tests.support.pydevd_server import PydevdServer, free_port

IMAGE = "pipeline-designer-test/python:1"
STEP = f"""\
- step:
    name: train
    image: {IMAGE}
    command: python3 train.py
"""


def plain(path: Path) -> tuple[float, float]:
    t0 = time.perf_counter()
    args = build_parser().parse_args(["run", str(path), "--step", "train", "--no-reuse", "--pull", "never"])
    with open(os.devnull, "w") as devnull:
        assert args.func(args, devnull) == 0
    return time.perf_counter() - t0, 0.0


def debugpy(path: Path) -> tuple[float, float]:
    t0 = time.perf_counter()
    out, thread, code = run_debug_cli(
        ["run", str(path), "--step", "train", "--no-reuse", "--pull", "never", "--debug"]
    )
    client = DapClient("127.0.0.1", int(out.wait_for(LISTENING).group(1)))
    try:
        thread_id, _locals = attach_and_break(client, str(path.parent), "train.py", LOOP_LINE)
        stopped = time.perf_counter() - t0
        client.request("setBreakpoints", source={"path": str(path.parent / "train.py")}, breakpoints=[])
        client.request("continue", threadId=thread_id)
        thread.join(120)
    finally:
        client.close()
    assert code == [0], "".join(out.lines)
    return time.perf_counter() - t0, stopped


def pycharm(path: Path) -> tuple[float, float]:
    port = free_port()
    with PydevdServer(port=port) as ide:
        t0 = time.perf_counter()
        out, thread, code = run_debug_cli(
            ["run", str(path), "--step", "train", "--no-reuse", "--pull", "never", "--debug",
             "--debugger", "pycharm", "--debug-connect", str(port)]
        )  # fmt: skip
        ide.accept(120)
        ide.handshake()
        ide.set_breakpoint(SCRIPT, LOOP_LINE)
        ide.run()
        stop = ide.wait_suspend(120)
        stopped = time.perf_counter() - t0
        ide.remove_breakpoint(SCRIPT)
        ide.resume(stop.thread_id)
        thread.join(120)
    assert code == [0], "".join(out.lines)
    return time.perf_counter() - t0, stopped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PIPELINE_DESIGNER_HOME"] = str(Path(tmp) / "home")
        os.environ["PIPELINE_DESIGNER_PYCHARM_PATH"] = str(Path(tmp) / "no-pycharm")
        project = Path(tmp) / "project"
        project.mkdir()
        (project / "valohai.yaml").write_text(textwrap.dedent(STEP))
        (project / "train.py").write_text(TRAIN)
        t0 = time.perf_counter()
        _folder, version = ensure_pydevd(Path(os.environ["PIPELINE_DESIGNER_HOME"]))
        fetched = time.perf_counter() - t0
        variants = {"plain": plain, "debugpy": debugpy, "pycharm": pycharm}
        for run in variants.values():  # warm-up: image cache, imports
            run(project)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
        for _ in range(opts.repeat):
            for name, run in variants.items():
                times[name].append(run(project))
    base = statistics.median(t for t, _s in times["plain"])
    print(f"first fetch of pydevd-pycharm {version}: {fetched:.1f} s (once per version)")
    for name, rows in times.items():
        total = statistics.median(t for t, _s in rows)
        stop = statistics.median(s for _t, s in rows)
        at_break = f", at the breakpoint after {stop:.2f} s" if stop else ""
        print(f"{name:8s} {total:6.2f} s  x{total / base:.2f} of plain{at_break}  (median of {len(rows)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
