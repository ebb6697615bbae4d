"""``run --capture-locals``: at the uncaught exception each frame's locals are recorded (reprs,
capped, a broken __repr__ survived) beside the log, not in it; the failure view's data gets them
per frame. Without the option nothing is captured."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from runner.api import debug
from runner.cli.main import build_parser
from runner.store.db import RunStore

pytestmark = pytest.mark.docker

STEP = """
- step:
    name: train
    image: python:3.12-slim
    command: python3 train.py
"""
TRAIN = """\
class Weird:
    def __repr__(self):
        raise RuntimeError("no repr for you")


def step(batch, lr):
    weird = Weird()
    big = "x" * 100000
    raise ValueError(f"diverged at batch {batch}")


def main():
    lr = 0.5
    for batch in range(3):
        if batch == 2:
            step(batch, lr)


main()
"""


def _run(path: Path, python_image: str, *extra: str) -> dict[str, Any]:
    argv = ["run", str(path), "--step", "train", "--network", "none", "--pull", "never",
            "--image-map", f"python:3.12-slim={python_image}", *extra]  # fmt: skip
    args = build_parser().parse_args(argv)
    assert args.func(args, io.StringIO()) == 1
    store = RunStore(Path(args.file).parent.parent / "home" / "runs.sqlite3")
    run = store.runs(1)[0]
    (execution,) = store.executions(run["id"])
    store.close()
    return {"run": run, "execution": execution}


@pytest.mark.parametrize("backend", ["docker", "docker-archive"])  # bind mounts; archive as for remote hosts
def test_locals_of_each_frame_at_the_failure(project, home: Path, python_image: str, backend: str) -> None:
    path = project(STEP, **{"train.py": TRAIN})
    got = _run(path, python_image, "--capture-locals", "--backend", backend)
    failure = debug.failure_of(got["execution"], got["run"])
    assert failure is not None and failure.headline == "ValueError: diverged at batch 2"
    by_function = {failure.frames[i].function: values for i, values in failure.locals.items()}
    assert by_function["main"] == {"batch": "2", "lr": "0.5"}
    inner = by_function["step"]
    assert inner["batch"] == "2" and inner["lr"] == "0.5"
    assert inner["weird"].startswith("<Weird instance at")  # its __repr__ raised: still shown
    assert len(inner["big"]) < 500 and inner["big"].startswith("'xxxx")
    log = Path(got["execution"]["log_path"]).read_text()
    assert "pipeline-designer-locals" not in log and "Traceback (most recent call last)" in log
    assert "captured the locals of" in log

    plain = _run(path, python_image, "--backend", backend)
    failure = debug.failure_of(plain["execution"], plain["run"])
    assert failure is not None and failure.locals == {}
    assert not debug.locals_path(Path(plain["execution"]["log_path"])).exists()
