"""Time of one designer edit on a 2,000-line valohai.yaml, first edit included.

Target (exact-edits issue): <= 30 ms per edit. The baseline, measured in the same run, is
a plain PyYAML load of the same text (libyaml's loader where PyYAML has it): an edit that
re-read the whole file could not be faster than that.

    .venv/bin/python benchmarks/edit_speed.py
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _generate import big_config

from runner.config import edits
from runner.config.document import YamlDocument

ROUNDS = 7


def _edits(doc: YamlDocument, round_: int) -> list[tuple[str, Callable[[], None]]]:
    n = round_
    return [
        ("rename node", lambda: edits.rename_node(doc, "big", f"node-{40 + n}", f"renamed-{n}")),
        ("set default", lambda: edits.set_parameter_field(doc, f"step-{n}", "epochs", "default", 100 + n)),
        ("add node", lambda: edits.add_node(doc, "big", f"added-{n}", "step-1")),
        ("add edge", lambda: edits.add_edge(doc, "big", f"added-{n}.output.*", "node-90.input.data")),
        ("remove node", lambda: edits.remove_node(doc, "big", f"node-{70 + n}")),
        ("rename parameter", lambda: edits.rename_parameter(doc, f"step-{20 + n}", "epochs", "rounds")),
    ]


def main() -> None:
    text = big_config(steps=100, nodes=130)
    lines = text.count("\n")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loads = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        yaml.load(text, Loader=loader)
        loads.append(time.perf_counter() - start)
    baseline = statistics.median(loads)

    times: dict[str, list[float]] = {}
    first: list[float] = []
    fallbacks = 0
    for round_ in range(ROUNDS):
        doc = YamlDocument.from_text(text)  # a freshly opened file: no syntax tree yet
        for i, (name, edit) in enumerate(_edits(doc, round_)):
            start = time.perf_counter()
            edit()
            elapsed = time.perf_counter() - start
            times.setdefault(name, []).append(elapsed)
            if i == 0:
                first.append(elapsed)
            fallbacks += doc.last_edit_fallback is not None
    every = [t for ts in times.values() for t in ts]
    print(f"config: {lines} lines, {len(text) / 1024:.0f} KiB; {ROUNDS} rounds of {len(times)} edits")
    print(f"baseline PyYAML load:        {baseline * 1000:6.1f} ms")
    for name, ts in times.items():
        median = statistics.median(ts)
        print(f"{name + ':':28} {median * 1000:6.1f} ms  ratio {median / baseline:.2f}x")
    print(f"first edit of a fresh file:  {statistics.median(first) * 1000:6.1f} ms  (target <= 30 ms)")
    print(
        f"median of all edits:         {statistics.median(every) * 1000:6.1f} ms  (target <= 30 ms), "
        f"ratio {statistics.median(every) / baseline:.2f}x; worst {max(every) * 1000:.1f} ms; "
        f"{fallbacks} fell back to the re-dump"
    )


if __name__ == "__main__":
    main()
