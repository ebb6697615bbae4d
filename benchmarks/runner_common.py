"""Shared helpers for the runner benchmarks (a private data dir, a project, one timed run)."""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runner.api import RunOptions, plan_run, start_run

BUSYBOX = "pipeline-designer-test/busybox:1"
IMAGE_MAP = {"busybox": BUSYBOX}


_ROOTS: list[Path] = []


def workspace(name: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    _ROOTS.append(root)
    os.environ["PIPELINE_DESIGNER_HOME"] = str(root / "home")
    (root / "project").mkdir()
    return root


def write_yaml(root: Path, text: str) -> Path:
    path = root / "project" / "valohai.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def timed_run(path: Path, client: Any, **kwargs: Any) -> tuple[float, str, str]:
    pipeline, step = kwargs.pop("pipeline", None), kwargs.pop("step", None)
    plan = plan_run(path, pipeline=pipeline, step=step)
    options = RunOptions(image_map=IMAGE_MAP, **kwargs)
    t0 = time.perf_counter()
    handle = start_run(plan, options, network="none", pull="never", client=client)
    status = handle.wait()
    return time.perf_counter() - t0, str(status), handle.run_id


def cleanup() -> None:
    for root in _ROOTS:
        shutil.rmtree(root, ignore_errors=True)


def median(values: list[float]) -> float:
    return statistics.median(values)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"
