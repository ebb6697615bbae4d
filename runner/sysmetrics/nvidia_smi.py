"""``nvidia-smi --query-gpu`` on a unit's host: the command, its CSV output read line by line,
and why there are no figures when it is missing or fails.

The output is nvidia-smi's own ``--format=csv``, header and units included (the header names
the columns, so their order is never assumed)::

    index, uuid, utilization.gpu [%], memory.used [MiB], memory.total [MiB]
    0, GPU-5b3f0b7c-9a34-2f1e-4b6d-1c0e8f2a7d11, 87 %, 30567 MiB, 81559 MiB

With ``-l 1`` the same rows follow every second. A figure the driver does not give reads
``[N/A]`` (or ``[Not Supported]``, ``[Unknown Error]``) and becomes None.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterable, Sequence

from runner.events import GpuFigures

QUERY = "index,uuid,utilization.gpu,memory.used,memory.total"
NO_SMI = "NO-SMI"  # what the script prints where there is no nvidia-smi at all
_UNITS = {"MiB": 1 << 20, "KiB": 1 << 10, "GiB": 1 << 30, "B": 1, "%": 1}


def script(loop_seconds: int = 0) -> str:
    """A shell command line (for ``sh -c`` or an SSH exec): the query once, or every
    ``loop_seconds`` until stopped; its errors go to standard output with the figures.

    A loop lives exactly as long as its standard input stays open: the runner never writes to
    it, so its end means the runner is gone (the channel closed, the connection dropped, the
    process killed), and the loop is stopped then. Without that, a tool that outlives its
    closed output (or a session its server has not torn down) would report to nobody for ever."""
    query = f"nvidia-smi --query-gpu={QUERY} --format=csv"
    missing = f"command -v nvidia-smi >/dev/null 2>&1 || {{ echo {NO_SMI}; exit 0; }}; "
    if not loop_seconds:
        return f"{missing}exec {query} 2>&1"
    return (
        f"{missing}exec 3<&0 </dev/null; {query} -l {loop_seconds} 2>&1 3<&- & smi=$!; "
        "{ while read -r _; do :; done <&3; kill $smi; } 2>/dev/null & watch=$!; "
        "wait $smi; status=$?; kill $watch 2>/dev/null; exit $status"
    )


class SmiReader:
    """nvidia-smi's output, fed a line at a time: the latest figures of each GPU."""

    def __init__(self) -> None:
        self.columns: list[str] = []
        self.gpus: dict[str, GpuFigures] = {}  # index -> its latest figures
        self.uuids: dict[str, str] = {}  # uuid -> index (a GPU may be named either way)
        self.missing = False  # the host has no nvidia-smi
        self.last_lines: deque[str] = deque(maxlen=3)  # what it said last (its error, if it fails)

    def feed(self, line: str) -> None:
        text = line.strip()
        if not text:
            return
        self.last_lines.append(text)
        if text == NO_SMI:
            self.missing = True
            return
        cells = [c.strip() for c in next(csv.reader([text]))]
        if cells and cells[0].split(" [")[0] == "index":
            self.columns = [c.split(" [")[0] for c in cells]
            return
        if len(cells) != len(self.columns):  # not a row of figures: an error message
            return
        row = dict(zip(self.columns, cells, strict=True))
        index = row.get("index", "")
        if not index.isdigit():
            return
        if row.get("uuid"):
            self.uuids[row["uuid"]] = index
        self.gpus[index] = GpuFigures(
            index,
            _number(row.get("utilization.gpu", "")),
            _bytes(row.get("memory.used", "")),
            _bytes(row.get("memory.total", "")),
        )

    def feed_all(self, lines: Iterable[str]) -> SmiReader:
        for line in lines:
            self.feed(line)
        return self

    def problem(self, status: int | None, where: str) -> str:
        """Why there are no figures once the command ended with ``status`` ("" when there are)."""
        if self.missing:
            return f"nvidia-smi is not installed on {where}"
        if status:
            said = self.last_lines[-1] if self.last_lines else f"exit status {status}"
            return f"nvidia-smi failed on {where}: {said[:300]}"
        if not self.gpus:
            return f"nvidia-smi listed no GPUs on {where}"
        return ""

    def select(self, gpu_ids: Sequence[str], where: str) -> tuple[tuple[GpuFigures, ...], str]:
        """The figures of the GPUs assigned to a unit (host indices or UUIDs), and a note naming
        those nvidia-smi does not list."""
        found, absent = [], []
        for gpu in gpu_ids:
            figures = self.gpus.get(self.uuids.get(gpu, gpu))
            if figures is None:
                absent.append(gpu)
            else:
                found.append(figures)
        note = f"nvidia-smi on {where} does not list GPU {', '.join(absent)}" if absent else ""
        return tuple(found), note


def _number(cell: str) -> float | None:
    try:
        return float(cell.split()[0])
    except (ValueError, IndexError):  # "[N/A]", "[Not Supported]", ""
        return None


def _bytes(cell: str) -> int | None:
    value = _number(cell)
    if value is None:
        return None
    parts = cell.split()
    unit = _UNITS.get(parts[1], 1) if len(parts) > 1 else 1 << 20  # nounits: MiB
    return int(value * unit)
