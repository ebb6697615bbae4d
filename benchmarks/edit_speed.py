"""Time of one designer edit on a 2,000-line valohai.yaml, first edit included.

Target (exact-edits issue): <= 30 ms per edit. The baseline, measured in the same run, is
a plain PyYAML load of the same text (libyaml's loader where PyYAML has it): an edit that
re-read the whole file could not be faster than that. Wall-clock times and the CPU time of
this process are both printed: on a machine shared with other work the wall clock also
counts the time others hold the CPU, the CPU time does not (ratios compare like with like).
The first round runs first in the process and imports tree-sitter; it is shown apart. The
edit machinery's modules come with ``runner.config.document`` (with ruamel.yaml, when a file
is opened), so no edit pays for them; their import is timed here too. Where Python writes no
bytecode cache (PYTHONDONTWRITEBYTECODE, as in this project's sandboxes) every process
compiles them again: the script says so, since an installed app has the cache.

    .venv/bin/python benchmarks/edit_speed.py
"""

from __future__ import annotations

import importlib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _generate import big_config

IMPORT_WALL, IMPORT_CPU = time.perf_counter(), time.process_time()
edits: Any = importlib.import_module("runner.config.edits")  # ruamel.yaml, the document, the edits
IMPORTED = (time.perf_counter() - IMPORT_WALL, time.process_time() - IMPORT_CPU)
YamlDocument: Any = importlib.import_module("runner.config.document").YamlDocument

ROUNDS = 7


def _edits(doc: Any, round_: int) -> list[tuple[str, Callable[[], None]]]:
    n = round_
    return [
        ("rename node", lambda: edits.rename_node(doc, "big", f"node-{40 + n}", f"renamed-{n}")),
        ("set default", lambda: edits.set_parameter_field(doc, f"step-{n}", "epochs", "default", 100 + n)),
        ("add node", lambda: edits.add_node(doc, "big", f"added-{n}", "step-1")),
        ("add edge", lambda: edits.add_edge(doc, "big", f"added-{n}.output.*", "node-90.input.data")),
        ("remove node", lambda: edits.remove_node(doc, "big", f"node-{70 + n}")),
        ("rename parameter", lambda: edits.rename_parameter(doc, f"step-{20 + n}", "epochs", "rounds")),
    ]


def _timed(run: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of ``run()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def _ms(pair: tuple[float, float]) -> str:
    return f"{pair[0] * 1000:6.1f} ms wall {pair[1] * 1000:6.1f} ms CPU"


def _median(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def main() -> None:
    text = big_config(steps=100, nodes=130)
    lines = text.count("\n")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    baseline = _median([_timed(lambda: yaml.load(text, Loader=loader)) for _ in range(ROUNDS)])
    cache = "off (every process compiles them)" if sys.dont_write_bytecode else "on"
    print(f"import of the document and edit modules: {_ms(IMPORTED)}; bytecode cache {cache}")

    times: dict[str, list[tuple[float, float]]] = {}
    first: list[tuple[float, float]] = []
    fallbacks = 0
    for round_ in range(ROUNDS + 1):
        doc = YamlDocument.from_text(text)  # a freshly opened file: no syntax tree yet
        for i, (name, edit) in enumerate(_edits(doc, round_)):
            elapsed = _timed(edit)
            fallbacks += doc.last_edit_fallback is not None
            if round_ == 0:
                if i == 0:
                    print(f"first edit in this process (imports tree-sitter): {_ms(elapsed)}")
                continue
            times.setdefault(name, []).append(elapsed)
            if i == 0:
                first.append(elapsed)
    every = _median([t for ts in times.values() for t in ts])
    print(f"config: {lines} lines, {len(text) / 1024:.0f} KiB; {ROUNDS} rounds of {len(times)} edits")
    print(f"baseline PyYAML load:        {_ms(baseline)}")
    for name, ts in times.items():
        median = _median(ts)
        print(f"{name + ':':28} {_ms(median)}  ratio {median[1] / baseline[1]:.2f}x")
    head = _median(first)
    print(f"first edit of a fresh file:  {_ms(head)}  ratio {head[1] / baseline[1]:.2f}x  (target <= 30 ms)")
    worst = max(max(ts) for ts in times.values())
    print(
        f"median of all edits:         {_ms(every)}  ratio {every[1] / baseline[1]:.2f}x  (target <= 30 ms); "
        f"worst {_ms(worst)}; {fallbacks} fell back to the re-dump"
    )


if __name__ == "__main__":
    main()
